import json
from datetime import datetime, timedelta
from functools import partial

import pytest
from django.utils import timezone

from chat import consumers
from chat.models import Message
from chat.ratelimit import TokenBucket

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 10


def chat_path(room):
    return f"/ws/chat/{room}/"


async def stored_texts(room):
    return [text async for text in Message.objects.in_room(room).values_list("text", flat=True)]


async def test_message_reaches_every_socket_in_the_room_sender_included(websocket, room_name):
    sender = await websocket(chat_path(room_name))
    listener = await websocket(chat_path(room_name))

    await sender.send_json_to({"message": "hello"})

    for socket in (sender, listener):
        payload = await socket.receive_json_from(timeout=TIMEOUT)
        assert set(payload) == {"seq", "message", "user", "timestamp"}
        assert payload["seq"] == 1
        assert payload["message"] == "hello"
        assert payload["user"] == "anonymous"
        assert datetime.fromisoformat(payload["timestamp"]).tzinfo is not None


async def test_deliveries_skip_the_database_thread(websocket, room_name, monkeypatch):
    # Channels calls close_old_connections() in the database thread before every handler;
    # ChatConsumer.dispatch() skips that for chat.message events, which never use the database.
    trips = []

    async def count_trip():
        trips.append(1)

    monkeypatch.setattr("channels.consumer.aclose_old_connections", count_trip)
    sockets = [await websocket(chat_path(room_name)) for _ in range(3)]
    trips.clear()

    await sockets[0].send_json_to({"message": "hello"})
    for socket in sockets:
        assert (await socket.receive_json_from(timeout=TIMEOUT))["message"] == "hello"

    assert len(trips) == 1  # for the sender's frame; none for the three deliveries


async def test_other_rooms_receive_nothing(websocket, room_name):
    sender = await websocket(chat_path(room_name))
    elsewhere = await websocket(chat_path(f"{room_name}-other"))

    await sender.send_json_to({"message": "only for this room"})

    await sender.receive_json_from(timeout=TIMEOUT)
    assert await elsewhere.receive_nothing()


async def test_logged_in_user_chats_under_their_name(websocket, room_name, alice):
    sender = await websocket(chat_path(room_name), user=alice)
    listener = await websocket(chat_path(room_name))

    await sender.send_json_to({"message": "hi from alice"})

    payload = await listener.receive_json_from(timeout=TIMEOUT)
    assert payload["user"] == "alice"


async def test_messages_are_stored(websocket, room_name, alice, wait_until_processed):
    logged_in = await websocket(chat_path(room_name), user=alice)
    anonymous = await websocket(chat_path(room_name))

    await logged_in.send_json_to({"message": "  stored text  "})
    await anonymous.send_json_to({"message": "from a guest"})
    await wait_until_processed(logged_in)
    await wait_until_processed(anonymous)

    rows = [
        row
        async for row in Message.objects.in_room(room_name).values_list(
            "user_id", "username", "room", "text"
        )
    ]
    assert sorted(rows, key=str) == sorted(
        [
            (alice.pk, "alice", room_name, "stored text"),
            (None, "anonymous", room_name, "from a guest"),
        ],
        key=str,
    )


async def create_messages(room, count):
    start = timezone.now() - timedelta(hours=1)
    for number in range(1, count + 1):
        await Message.objects.acreate(
            room=room,
            username="alice",
            text=f"message {number}",
            created=start + timedelta(minutes=number),
        )


async def test_joining_replays_history_oldest_first(websocket, room_name):
    await create_messages(room_name, 3)
    await create_messages(f"{room_name}-other", 1)

    socket = await websocket(chat_path(room_name))

    history = [await socket.receive_json_from(timeout=TIMEOUT) for _ in range(3)]
    assert [payload["message"] for payload in history] == ["message 1", "message 2", "message 3"]
    assert all(payload["history"] is True for payload in history)
    assert all(payload["user"] == "alice" for payload in history)
    assert await socket.receive_nothing()


async def test_history_is_limited_to_the_newest_chat_history_messages(
    websocket, room_name, settings
):
    settings.CHAT_HISTORY = 2
    await create_messages(room_name, 5)

    socket = await websocket(chat_path(room_name))

    history = [await socket.receive_json_from(timeout=TIMEOUT) for _ in range(2)]
    assert [payload["message"] for payload in history] == ["message 4", "message 5"]
    assert await socket.receive_nothing()


async def test_live_messages_after_history_are_not_marked_history(websocket, room_name):
    await create_messages(room_name, 1)
    socket = await websocket(chat_path(room_name))
    await socket.receive_json_from(timeout=TIMEOUT)

    await socket.send_json_to({"message": "live"})

    assert "history" not in await socket.receive_json_from(timeout=TIMEOUT)


BAD_FRAMES = [
    pytest.param({"text_data": "not json"}, id="not-json"),
    pytest.param({"bytes_data": b'{"message": "hi"}'}, id="binary-frame"),
    pytest.param({"text_data": '["message", "hi"]'}, id="json-list"),
    pytest.param({"text_data": "42"}, id="json-number"),
    pytest.param({"text_data": '{"text": "hi"}'}, id="missing-message"),
    pytest.param({"text_data": '{"message": null}'}, id="null-message"),
    pytest.param({"text_data": '{"message": 42}'}, id="non-string-message"),
    pytest.param({"text_data": '{"message": ["hi"]}'}, id="list-message"),
    pytest.param({"text_data": '{"message": " \\n\\t "}'}, id="blank-message"),
    # CHAT_MAX_MESSAGE_LENGTH is 10 in these tests, so the frame limit is 10 * 8 + 1024.
    pytest.param({"text_data": json.dumps({"message": "x" * 11})}, id="message-too-long"),
    pytest.param(
        {"text_data": json.dumps({"message": "ok", "padding": "x" * 2000})}, id="frame-too-large"
    ),
    # Within the frame limit: RecursionError on Python 3.11, unterminated array on 3.12 and 3.13.
    pytest.param({"text_data": "[" * 1100}, id="nested-too-deeply"),
    # Valid JSON decoding to a string that cannot be stored or sent on as UTF-8.
    pytest.param({"text_data": '{"message": "\\ud800"}'}, id="lone-surrogate"),
]


@pytest.mark.parametrize("frame", BAD_FRAMES)
async def test_bad_frame_gets_an_error_and_the_socket_stays_open(
    websocket, room_name, settings, wait_until_processed, frame
):
    settings.CHAT_MAX_MESSAGE_LENGTH = 10
    sender = await websocket(chat_path(room_name))
    listener = await websocket(chat_path(room_name))

    await sender.send_to(**frame)

    reply = await sender.receive_json_from(timeout=TIMEOUT)
    assert set(reply) == {"error"}
    assert reply["error"]
    assert await listener.receive_nothing()

    await sender.send_json_to({"message": "next one"})
    for socket in (sender, listener):
        assert (await socket.receive_json_from(timeout=TIMEOUT))["message"] == "next one"
    await wait_until_processed(sender)
    assert await stored_texts(room_name) == ["next one"]


async def test_message_at_the_length_limit_is_accepted(websocket, room_name, settings):
    settings.CHAT_MAX_MESSAGE_LENGTH = 10
    socket = await websocket(chat_path(room_name))

    await socket.send_json_to({"message": "x" * 10})

    assert (await socket.receive_json_from(timeout=TIMEOUT))["message"] == "x" * 10


async def test_messages_over_the_rate_limit_get_an_error_until_tokens_refill(
    websocket, room_name, settings, monkeypatch, fake_clock, wait_until_processed
):
    settings.CHAT_RATE_LIMIT = 1
    settings.CHAT_RATE_BURST = 2
    monkeypatch.setattr(consumers, "TokenBucket", partial(TokenBucket, clock=fake_clock))
    sender = await websocket(chat_path(room_name))
    listener = await websocket(chat_path(room_name))

    for text in ("one", "two"):
        await sender.send_json_to({"message": text})
        for socket in (sender, listener):
            assert (await socket.receive_json_from(timeout=TIMEOUT))["message"] == text

    await sender.send_json_to({"message": "three"})
    assert "error" in await sender.receive_json_from(timeout=TIMEOUT)
    assert await listener.receive_nothing()

    fake_clock.advance(1)
    await sender.send_json_to({"message": "four"})
    for socket in (sender, listener):
        assert (await socket.receive_json_from(timeout=TIMEOUT))["message"] == "four"
    await wait_until_processed(sender)
    assert await stored_texts(room_name) == ["one", "two", "four"]


@pytest.mark.parametrize(
    "room",
    [
        pytest.param("a%20b", id="space"),
        pytest.param("x" * 65, id="65-characters"),
        pytest.param("a$b", id="dollar-sign"),
        pytest.param("caf%C3%A9", id="non-ascii"),
    ],
)
async def test_invalid_room_name_refuses_the_socket(websocket_connect, room):
    connected, _ = await websocket_connect(chat_path(room))

    assert connected is False


async def test_room_name_of_64_characters_is_accepted(websocket_connect, room_name):
    connected, _ = await websocket_connect(chat_path(room_name.ljust(64, "x")))

    assert connected is True


async def test_foreign_origin_is_refused(websocket_connect, room_name):
    connected, _ = await websocket_connect(chat_path(room_name), origin=b"http://evil.example")

    assert connected is False


async def test_missing_origin_is_refused(websocket_connect, room_name):
    connected, _ = await websocket_connect(chat_path(room_name), origin=None)

    assert connected is False
