"""The Redis channel layers against a real redis-server: what the in-memory layer cannot do."""

import pytest

from workbook.clients import connect, login
from workbook.processes import start_server

pytestmark = pytest.mark.redis


# The course's own layer (mysite.layers) in `make test`; channels_redis' pubsub layer in
# `make test-slow`, as the fault tests do (tests/test_nothing_lost.py).
@pytest.fixture(scope="module", params=["core", pytest.param("pubsub", marks=pytest.mark.slow)])
def layer_env(request, redis_server):
    return {"REDIS_URL": redis_server.url, "CHANNEL_LAYER": request.param}


@pytest.fixture(scope="module")
def two_servers(layer_env):
    with (
        start_server("daphne", env=layer_env) as first,
        start_server("daphne", db_path=first.db_path, env=layer_env) as second,
    ):
        yield first, second


async def test_two_server_processes_share_a_room(two_servers):
    first, second = two_servers
    async with (
        await connect(first, "/ws/chat/shared/") as on_first,
        await connect(second, "/ws/chat/shared/") as on_second,
    ):
        await on_first.send_json({"message": "from process one"})
        received = await on_second.receive_json(timeout=5)
        assert received["message"] == "from process one"
        await on_second.send_json({"message": "and back"})
        assert (await on_first.receive_json(timeout=5))["message"] == "from process one"
        assert (await on_first.receive_json(timeout=5))["message"] == "and back"


async def test_notify_command_reaches_a_socket_on_a_running_server(two_servers):
    server, _ = two_servers
    server.manage("create_demo_users")
    cookie = await login(server, "alice", "channels-demo")
    async with await connect(server, "/ws/notifications/", cookie=cookie) as alice:
        backlog = await alice.collect(window=0.5)
        assert backlog[-1]["type"] == "unread"
        result = server.manage("notify", "alice", "deploy finished")
        assert result.stdout.startswith("Sent notification")
        pushed = await alice.receive_json(timeout=5)
        assert pushed["message"] == "deploy finished"
        assert pushed["unread"] == backlog[-1]["unread"] + 1
