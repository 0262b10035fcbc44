import pytest
from autobahn.exception import Disconnected
from uvicorn.protocols.utils import ClientDisconnected

from mysite.websocket import SafeJsonWebsocketConsumer

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
