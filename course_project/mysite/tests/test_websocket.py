import asyncio

import pytest
from autobahn.exception import Disconnected
from channels.exceptions import StopConsumer
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from uvicorn.protocols.utils import ClientDisconnected

from mysite.websocket import FrameError, SafeJsonWebsocketConsumer

# What daphne (through autobahn) and uvicorn raise when a consumer sends on a closed socket.
SERVER_ERRORS = [
    pytest.param(Disconnected("Attempt to send on a closed protocol"), id="daphne"),
    pytest.param(ClientDisconnected(), id="uvicorn"),
]


def consumer_whose_server_raises(error):
    consumer = SafeJsonWebsocketConsumer()
    sent = []

    async def base_send(message):
        sent.append(message)
        raise error

    consumer.base_send = base_send
    return consumer, sent


@pytest.mark.parametrize("error", SERVER_ERRORS)
async def test_a_send_to_a_socket_that_has_just_closed_is_dropped(error):
    consumer, sent = consumer_whose_server_raises(error)

    await consumer.send_json({"message": "for nobody now"})

    assert sent == [{"type": "websocket.send", "text": '{"message":"for nobody now"}'}]


async def test_other_errors_while_sending_still_raise():
    consumer, _ = consumer_whose_server_raises(ValueError("Socket has not been accepted"))

    with pytest.raises(ValueError, match="not been accepted"):
        await consumer.send_json({"message": "too early"})


class Echo(SafeJsonWebsocketConsumer):
    async def receive_json(self, content, **kwargs):
        await self.send_json({"echo": content}, close=content.get("close", False))


class Member(SafeJsonWebsocketConsumer):
    async def connect(self):
        await self.join_group("members")
        await self.accept()

    async def member_note(self, event):
        await self.send_json({"note": event["text"]})


@pytest.mark.django_db  # disconnecting closes old database connections
async def test_send_json_takes_channels_close_argument():
    communicator = WebsocketCommunicator(Echo.as_asgi(), "/")
    await communicator.connect(timeout=3)

    await communicator.send_json_to({"close": True})

    assert await communicator.receive_json_from(timeout=3) == {"echo": {"close": True}}
    assert (await communicator.receive_output(timeout=3))["type"] == "websocket.close"


async def test_encode_and_decode_json_are_the_hooks_channels_documents():
    assert await SafeJsonWebsocketConsumer.encode_json({"ü": 1}) == '{"ü":1}'
    assert await SafeJsonWebsocketConsumer.decode_json('{"a": [1]}') == {"a": [1]}
    with pytest.raises(FrameError, match="JSON object"):
        await SafeJsonWebsocketConsumer.decode_json("[1]")


@pytest.mark.django_db  # disconnecting closes old database connections
async def test_a_bad_frame_is_answered_and_the_socket_lives_on():
    communicator = WebsocketCommunicator(Echo.as_asgi(), "/")
    await communicator.connect(timeout=3)

    await communicator.send_to(text_data="{not json")
    await communicator.send_to(bytes_data=b"\x00")

    assert await communicator.receive_json_from(timeout=3) == {"error": "frame is not valid JSON"}
    assert "binary" in (await communicator.receive_json_from(timeout=3))["error"]
    await communicator.send_json_to({"still": "here"})
    assert await communicator.receive_json_from(timeout=3) == {"echo": {"still": "here"}}
    await communicator.disconnect()


@pytest.mark.django_db  # disconnecting closes old database connections
async def test_a_socket_leaves_the_groups_it_joined_when_it_closes():
    layer = get_channel_layer()
    first = WebsocketCommunicator(Member.as_asgi(), "/")
    second = WebsocketCommunicator(Member.as_asgi(), "/")
    await first.connect(timeout=3)
    await second.connect(timeout=3)
    assert len(layer.groups["members"]) == 2

    await first.disconnect()

    assert len(layer.groups["members"]) == 1
    await layer.group_send("members", {"type": "member.note", "text": "hi"})
    assert await second.receive_json_from(timeout=3) == {"note": "hi"}
    await second.disconnect()
    assert "members" not in layer.groups


@pytest.mark.django_db(transaction=True)  # disconnecting closes old database connections
async def test_a_client_that_reads_nothing_is_dropped_once_a_send_waits_too_long(settings):
    # Under uvicorn a send waits while the client's buffers are full; one that never reads
    # would keep its consumer, and everything queued for it, for ever.
    settings.WEBSOCKET_SEND_TIMEOUT = 0.1
    consumer = SafeJsonWebsocketConsumer()
    consumer.scope = {"type": "websocket", "path": "/ws/test/"}
    consumer.groups = []
    sent = []

    async def stuck(message):
        sent.append(message)
        await asyncio.sleep(60)

    consumer.base_send = stuck
    with pytest.raises(StopConsumer):
        await consumer.send_json({"message": "never read"})
    assert len(sent) == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("path", ["/ws/chat/a%2fb/", "/ws/chat/a/b/", "/ws/nowhere/"])
async def test_a_path_no_route_serves_is_refused_not_an_error(websocket_connect, path):
    connected, _ = await websocket_connect(path)

    assert not connected  # under a server: 404 (uvicorn) or 403 (daphne), never a 500
