"""A bad path in a socket URL is refused as not found, never a 500 with a traceback."""

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from workbook.processes import start_server

#: What each server can answer: uvicorn sends ASGI's HTTP denial response, daphne only 403.
NOT_FOUND = {"uvicorn": 404, "daphne": 403}


@pytest.mark.parametrize("server", list(NOT_FOUND))
async def test_a_slash_encoded_in_a_room_name_is_not_found(server):
    with start_server(server) as process:
        statuses = []
        for path in ("/ws/chat/a%2fb/", "/ws/no-such-socket/"):
            with pytest.raises(InvalidStatus) as refused:
                async with connect(process.ws_url(path), origin=process.origin, open_timeout=10):
                    pass
            statuses.append(refused.value.response.status_code)

        assert statuses == [NOT_FOUND[server]] * 2
        assert not [line for line in process.output if "Traceback" in line or "500" in line]
