"""The notebook clients against course_project served by daphne in a process of its own.

The same clients work against the in-kernel server (tests/test_runtime.py); here they log in over
HTTP, as they must for a server whose database the notebook cannot reach directly.
"""

import httpx
import pytest

from accounts.management.commands.create_demo_users import DEMO_PASSWORD
from workbook import (
    HandshakeRefused,
    LoginFailed,
    ReceiveTimeout,
    close_all,
    connect,
    login,
)
from workbook.processes import start_server

TIMEOUT = 5


@pytest.fixture(scope="module")
def server():
    with start_server("daphne") as process:
        process.manage("create_demo_users")
        yield process


async def test_login_gives_a_session_cookie_the_socket_is_authenticated_with(server):
    cookie = await login(server, "alice", DEMO_PASSWORD)
    assert cookie.startswith("sessionid=")
    notifications = await connect(server, "/ws/notifications/", cookie=cookie)
    assert await notifications.receive_json(timeout=TIMEOUT) == {"type": "unread", "unread": 0}
    await notifications.close()


async def test_logged_in_and_anonymous_users_chat_through_a_server_process(server):
    room = "/ws/chat/clients-test/"
    alice = await connect(server, room, cookie=await login(server, "alice", DEMO_PASSWORD))
    guest = await connect(server, room)
    await alice.send_json({"message": "hello from a process"})
    for client in (alice, guest):
        message = await client.expect({"message": "hello from a process"}, timeout=TIMEOUT)
        assert message["user"] == "alice"
    with pytest.raises(ReceiveTimeout, match=f"no message on {room} within 0.2 s"):
        await guest.receive(timeout=0.2)
    await close_all([alice, guest])


async def test_wrong_password_says_so(server):
    with pytest.raises(LoginFailed, match="logging in as 'alice' failed"):
        await login(server, "alice", "not-the-password")


async def test_anonymous_notifications_socket_is_refused(server):
    with pytest.raises(HandshakeRefused) as refused:
        await connect(server, "/ws/notifications/")
    assert refused.value.status == 403


async def test_user_argument_is_only_for_the_in_kernel_server(server):
    with pytest.raises(TypeError, match=r"cookie=await login\(server"):
        await connect(server, "/ws/notifications/", user="alice")


async def test_several_clients_open_together_and_all_or_none(server):
    clients = await connect(server, "/ws/chat/clients-many/", n=5)
    assert len(clients) == 5
    await close_all(clients)
    assert all(client.closed for client in clients)
    with pytest.raises(HandshakeRefused):
        await connect(server, "/ws/chat/clients-many/", origin="http://evil.example", n=3)


async def test_extra_headers_carry_a_scripts_bearer_token(server):
    cookie = await login(server, "bob", DEMO_PASSWORD)
    async with httpx.AsyncClient(base_url=server.url(), headers={"Cookie": cookie}) as http:
        page = await http.get("/chat/")
        csrf = page.cookies["csrftoken"]
        answer = await http.post(
            "/accounts/token/",
            headers={"X-CSRFToken": csrf, "Cookie": f"{cookie}; csrftoken={csrf}"},
        )
    token = answer.json()["token"]
    headers = {"Authorization": f"Bearer {token}"}
    async with await connect(server, "/ws/notifications/", headers=headers) as bob:
        assert await bob.receive_json(timeout=TIMEOUT) == {"type": "unread", "unread": 0}
    with pytest.raises(HandshakeRefused):
        await connect(server, "/ws/notifications/", headers={"Authorization": "Bearer forged"})
