"""The in-kernel server (workbook.server), clients against it, and source display.

One daphne per process, and Twisted's reactor cannot start twice: every in-process server test is
in this module and shares one server (a module fixture), which stays up until the process ends.
Stopping is checked in a fresh interpreter instead. Under pytest-xdist, `--dist loadscope` keeps
this module on one worker; another worker is another process with a server of its own.
"""

import asyncio
import inspect
import os
import subprocess
import sys
import textwrap
import time
import uuid

import httpx
import pytest
from channels.generic.websocket import AsyncJsonWebsocketConsumer, AsyncWebsocketConsumer
from django.urls import re_path

from chat.consumers import ChatConsumer
from workbook import (
    COURSE_PROJECT,
    REPO_ROOT,
    HandshakeRefused,
    LiveServer,
    ReceiveTimeout,
    SocketClosed,
    Tracer,
    close_all,
    connect,
    create_user,
    live_server,
    login,
    login_cookie,
    show_file,
    show_source,
)
from workbook.project import TEMPLATE_ENV
from workbook.source import SourceCode

TIMEOUT = 5


# A test database for the server's threads to share: transaction=True, because the server reads
# only what is committed, and pytest-django creates no test database unless a test asks for one.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(scope="module")
def server(django_db_setup, django_db_blocker):
    """The in-kernel server on pytest-django's test database (unblocked: its threads use it)."""
    from django.conf import settings
    from django.db import connections

    database = str(settings.DATABASES["default"]["NAME"])
    assert database != str(COURSE_PROJECT / "db.sqlite3"), "not on the development database"
    with django_db_blocker.unblock():
        server = live_server(timeout=30)
        yield server
        # What outlives this module in the process: the server's database thread is asgiref's,
        # shared with later tests, and its loggers would not reach their log capture.
        server.run_sync(connections.close_all)
        server.restore_logging()


async def wait_until_processed(client):
    """Every frame sent so far has been handled (stored, for chat) once a bad frame is answered.

    A consumer handles one frame at a time, so nothing it writes is still running when the test's
    database is flushed.
    """
    await client.send_json({})
    await client.expect(lambda message: "error" in message, timeout=TIMEOUT)


def unique(prefix):
    """A route or group no other test uses: the server and its channel layer outlive each test."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def route(server):
    """A fresh WebSocket route, unmounted after the test."""
    path = f"ws/{unique('test')}/"
    yield path
    if path in server.mounts["websocket"]:
        server.unmount(path)


class Hello(AsyncJsonWebsocketConsumer):
    """Says which class answered and who the user is, then echoes with its version."""

    version = "v1"

    async def connect(self):
        await self.accept()
        await self.send_json({"version": self.version, "user": str(self.scope["user"])})

    async def receive_json(self, content):
        await self.send_json({"version": self.version, "echo": content})


class HelloAgain(Hello):
    version = "v2"


class GroupMember(AsyncJsonWebsocketConsumer):
    """Joins the group named in the URL and reports its channel name."""

    async def connect(self):
        self.group = self.scope["url_route"]["kwargs"]["group"]
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self.send_json({"channel": self.channel_name})

    async def disconnect(self, code):
        await self.channel_layer.group_discard(self.group, self.channel_name)

    async def note(self, event):
        await self.send_json({"note": event["text"]})


# The in-kernel server.


def test_live_server_starts_once_and_is_reused(server):
    assert live_server() is server
    assert isinstance(server, LiveServer)
    assert server.running
    assert server.port > 0
    assert server.origin == f"http://127.0.0.1:{server.port}"
    assert server.url("chat/") == f"http://127.0.0.1:{server.port}/chat/"
    assert server.ws_url("/ws/chat/lobby/") == f"ws://127.0.0.1:{server.port}/ws/chat/lobby/"
    # Where the learner's browser reaches it: the same, on one machine (tests pin that).
    assert server.browser_url("/chat/") == server.url("/chat/")


async def test_project_chat_route_works_through_the_mount_table(server):
    room = unique("room")
    alice, bob = await connect(server, f"/ws/chat/{room}/", n=2)
    await alice.send_json({"message": "hello from alice"})
    for client in (alice, bob):
        message = await client.receive_json(timeout=TIMEOUT)
        assert message["message"] == "hello from alice"
        assert message["user"] == "anonymous"
    await wait_until_processed(alice)
    await close_all([alice, bob])


async def test_mount_serves_a_consumer_and_remount_affects_new_sockets_only(server, route):
    server.mount(route, Hello)
    before = await connect(server, route)
    assert (await before.receive_json())["version"] == "v1"

    server.mount(route, HelloAgain)  # a re-run cell: same route, edited class
    after = await connect(server, route)
    assert (await after.receive_json())["version"] == "v2"

    await before.send_json({"n": 1})
    assert await before.receive_json() == {"version": "v1", "echo": {"n": 1}}
    await after.send_json({"n": 2})
    assert await after.receive_json() == {"version": "v2", "echo": {"n": 2}}
    assert server.mounts["websocket"].count(route) == 1
    await close_all([before, after])


async def test_unmount_stops_new_connections(server, route):
    server.mount(route, Hello)
    open_socket = await connect(server, route)
    await open_socket.receive_json()
    server.unmount(route)
    assert route not in server.mounts["websocket"]
    with pytest.raises(HandshakeRefused) as refused:
        await connect(server, route)
    assert refused.value.status == 403  # no route: refused as not found (daphne can only say 403)
    # The socket opened before keeps its consumer.
    await open_socket.send_json({"still": "here"})
    assert (await open_socket.receive_json(timeout=TIMEOUT))["echo"] == {"still": "here"}
    await open_socket.close()
    with pytest.raises(KeyError, match="nothing is mounted"):
        server.unmount(route)


async def test_mounts_are_tried_before_the_project_routes(server):
    room = unique("room")
    route = f"ws/chat/{room}/"
    server.mount(route, Hello)
    try:
        client = await connect(server, route)
        assert (await client.receive_json())["version"] == "v1"
        await client.close()
    finally:
        server.unmount(route)
    client = await connect(server, route)  # ChatConsumer again
    await client.send_json({"message": "back to the project"})
    assert (await client.receive_json(timeout=TIMEOUT))["message"] == "back to the project"
    await wait_until_processed(client)
    await client.close()


async def test_mount_takes_a_re_path_entry_with_url_kwargs(server):
    group = unique("group")
    entry = re_path(r"^ws/groups/(?P<group>[\w-]+)/$", GroupMember)
    server.mount(entry)
    try:
        client = await connect(server, f"/ws/groups/{group}/")
        assert (await client.receive_json())["channel"]
        await client.close()
    finally:
        server.unmount(entry)


async def test_mounted_sockets_get_the_projects_origin_check(server, route):
    server.mount(route, Hello)
    for origin in ("http://evil.example", ""):
        with pytest.raises(HandshakeRefused) as refused:
            await connect(server, route, origin=origin)
        assert refused.value.status == 403


async def test_connect_asks_for_the_site_by_the_name_it_is_given(server, route):
    # A name the server does not answer to: the Host header carries it, so the project's origin
    # check finds no own origin; the socket still goes to the server's address.
    server.mount(route, Hello)
    with pytest.raises(HandshakeRefused) as refused:
        await connect(server, route, host="chat.example.com", origin="http://chat.example.com")
    assert refused.value.status == 403
    # localhost is an allowed host: its page, with that port, is the server's own origin.
    name = f"localhost:{server.port}"
    async with await connect(server, route, host=name, origin=f"http://{name}") as client:
        assert (await client.receive(timeout=5))["version"] == "v1"


async def test_group_send_and_send_from_the_test_loop_reach_a_mounted_consumer(server):
    group = unique("group")
    route = "ws/groups/<str:group>/"
    server.mount(route, GroupMember)
    try:
        first, second = await connect(server, f"/ws/groups/{group}/", n=2)
        channel = (await first.receive_json())["channel"]
        await second.receive_json()

        await server.group_send(group, {"type": "note", "text": "to everyone"})
        for client in (first, second):
            assert await client.receive_json(timeout=TIMEOUT) == {"note": "to everyone"}

        await server.send(channel, {"type": "note", "text": "to the first"})
        assert await first.receive_json(timeout=TIMEOUT) == {"note": "to the first"}
        assert await second.collect(window=0.2) == []
        await close_all([first, second])
    finally:
        server.unmount(route)
    # Nothing of the clients' or of the cross-loop calls is left on this test's loop.
    assert asyncio.all_tasks() == {asyncio.current_task()}


async def test_login_cookie_makes_scope_user_the_user(server, route):
    server.mount(route, Hello)
    user = create_user(unique("user"), "a-password-for-tests")
    assert create_user(user.username, "another-password").pk == user.pk  # a re-run cell

    by_name = await connect(server, route, user=user.username)
    by_object = await connect(server, route, user=user)
    by_cookie = await connect(server, route, cookie=login_cookie(user))
    anonymous = await connect(server, route)
    for client in (by_name, by_object, by_cookie):
        assert (await client.receive_json())["user"] == user.username
    assert (await anonymous.receive_json())["user"] == "AnonymousUser"

    notifications = await connect(server, "/ws/notifications/", user=user)
    assert await notifications.receive_json(timeout=TIMEOUT) == {"type": "unread", "unread": 0}
    await close_all([by_name, by_object, by_cookie, anonymous, notifications])

    with pytest.raises(LookupError, match="create_user"):
        login_cookie("nobody-by-this-name")


async def test_a_bearer_token_makes_scope_user_the_user_on_mounted_sockets(server, route):
    from accounts.tokens import make_token

    server.mount(route, Hello)
    user = create_user(unique("user"), "a-password-for-tests")
    bearer = {"Authorization": f"Bearer {make_token(user)}"}
    forged = {"Authorization": "Bearer not-a-token"}
    async with await connect(server, route, headers=bearer) as client:
        assert (await client.receive_json())["user"] == user.username
    async with await connect(server, route, headers=forged) as client:
        assert (await client.receive_json())["user"] == "AnonymousUser"


async def test_login_over_http_works_on_the_in_kernel_server_too(server):
    user = create_user(unique("user"), "a-password-for-tests")
    cookie = await login(server, user.username, "a-password-for-tests")
    notifications = await connect(server, "/ws/notifications/", cookie=cookie)
    assert await notifications.receive_json(timeout=TIMEOUT) == {"type": "unread", "unread": 0}
    await notifications.close()


async def test_a_traced_asgi_app_can_be_mounted_for_websockets(server, route):
    traced = Tracer(Hello)
    server.mount(route, traced)
    async with await connect(server, route) as client:
        await client.receive_json()
        await client.send_json({"n": 1})
        await client.receive_json()
    # Recorded before the client saw the reply to its message; the disconnect comes later.
    calls = [(event.direction, event.type) for event in traced.events][:6]
    assert calls == [
        ("scope", "websocket"),
        ("receive", "websocket.connect"),
        ("send", "websocket.accept"),
        ("send", "websocket.send"),
        ("receive", "websocket.receive"),
        ("send", "websocket.send"),
    ]
    scope = traced.events[0].details
    assert (
        scope == f"/{route} [origin: http://127.0.0.1:PORT, upgrade: websocket] user=AnonymousUser"
    )


async def test_mount_http_serves_a_raw_asgi_app_under_a_prefix(server):
    async def raw_app(scope, receive, send):
        await receive()
        body = f"{scope['root_path']} {scope['path']}".encode()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": body})

    prefix = unique("raw")
    tracer = Tracer(raw_app)
    server.mount_http(f"{prefix}/", tracer)
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT, trust_env=False) as http:
            response = await http.get(server.url(f"/{prefix}/hello?x=1"))
        assert response.status_code == 200
        assert response.text == f"/{prefix} /{prefix}/hello"
        assert [(e.direction, e.type) for e in tracer.events] == [
            ("scope", "http"),
            ("receive", "http.request"),
            ("send", "http.response.start"),
            ("send", "http.response.body"),
        ]
        assert f"GET /{prefix}/hello?x=1" in repr(tracer.table())
    finally:
        server.unmount(f"{prefix}/")
    async with httpx.AsyncClient(timeout=TIMEOUT, trust_env=False) as http:
        assert (await http.get(server.url(f"/{prefix}/hello"))).status_code == 404  # Django


async def test_views_app_serves_cell_views_through_the_projects_middleware(server):
    from django.http import HttpResponse
    from django.urls import path

    from workbook.views import views_app

    def hello(request):
        return HttpResponse(f"{request.method} {request.path} as {request.user}")

    prefix = unique("views")
    server.mount_http(f"{prefix}/", views_app([path("hello/", hello)]))
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT, trust_env=False) as http:
            page = await http.get(server.url(f"/{prefix}/hello/"))
            forged = await http.post(server.url(f"/{prefix}/hello/"))
            missing = await http.get(server.url(f"/{prefix}/nothing/"))
        assert page.status_code == 200
        assert page.text == f"GET /{prefix}/hello/ as AnonymousUser"
        assert forged.status_code == 403  # CsrfViewMiddleware runs: no token, no POST
        assert missing.status_code == 404
    finally:
        server.unmount(f"{prefix}/")


async def test_nothing_the_server_logs_reaches_the_output(server, route, capfd):
    class Broken(AsyncWebsocketConsumer):
        async def connect(self):
            raise RuntimeError("broken on purpose")

    server.mount(route, Broken)
    with pytest.raises(HandshakeRefused):
        await connect(server, route)
    async with httpx.AsyncClient(timeout=TIMEOUT, trust_env=False) as http:
        await http.get(server.url("/no-such-page/"))
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")
    assert "broken on purpose" in repr(server.log)


# Clients against the in-kernel server.


async def test_receive_timeout_says_what_was_awaited_where_and_what_arrived(server, route):
    server.mount(route, Hello)
    client = await connect(server, route)
    await client.send_json({"n": 1})
    await client.receive_json()
    await client.receive_json()
    with pytest.raises(ReceiveTimeout) as timeout:
        await client.receive_json(timeout=0.2)
    assert isinstance(timeout.value, TimeoutError)
    assert str(timeout.value) == (
        f"no message on /{route} within 0.2 s; received so far: "
        "[{'version': 'v1', 'user': 'AnonymousUser'}, {'version': 'v1', 'echo': {'n': 1}}]"
    )
    await client.close()


async def test_expect_skips_other_messages_and_its_timeout_lists_them(server, route):
    server.mount(route, Hello)
    client = await connect(server, route)
    await client.send_json({"n": 1})
    assert await client.expect({"echo": {"n": 1}}) == {"version": "v1", "echo": {"n": 1}}
    await client.send_json({"n": 2})
    with pytest.raises(ReceiveTimeout, match=r"received meanwhile: \[\{'version': 'v1', 'echo'"):
        await client.expect(lambda message: "never" in message, timeout=0.3)
    await client.close()


async def test_collect_returns_what_arrives_within_the_window(server, route):
    class Chatty(AsyncWebsocketConsumer):
        async def connect(self):
            await self.accept()
            for n in range(3):
                await self.send(text_data=f'{{"n": {n}}}')
            await self.send(text_data="not json")
            await self.send(text_data="42")  # text that happens to parse as JSON stays text
            await self.send(bytes_data=b"\x00\x01")

    server.mount(route, Chatty)
    client = await connect(server, route)
    assert await client.collect(window=0.5) == [
        {"n": 0},
        {"n": 1},
        {"n": 2},
        "not json",
        "42",
        b"\0\1",
    ]
    started = time.monotonic()
    assert await client.collect(window=0.2) == []
    assert 0.2 <= time.monotonic() - started < 2
    await client.close()


async def test_receive_json_refuses_binary_and_non_json_frames(server, route):
    class Mixed(AsyncWebsocketConsumer):
        async def connect(self):
            await self.accept()
            await self.send(bytes_data=b"\xff")
            await self.send(text_data="plain text")

    server.mount(route, Mixed)
    client = await connect(server, route)
    with pytest.raises(ValueError, match="binary, not JSON"):
        await client.receive_json()
    with pytest.raises(ValueError, match="not JSON"):
        await client.receive_json()
    await client.close()


async def test_refused_handshake_names_the_path_and_status(server):
    with pytest.raises(HandshakeRefused) as refused:
        await connect(server, "/ws/notifications/")  # anonymous: the consumer refuses
    assert refused.value.status == 403
    assert str(refused.value).startswith(
        "server refused the WebSocket handshake to /ws/notifications/ with HTTP 403"
    )
    assert "not logged in" in str(refused.value)


async def test_a_socket_closed_by_the_server_says_so(server, route):
    class Closer(AsyncWebsocketConsumer):
        async def connect(self):
            await self.accept()

        async def receive(self, text_data=None, bytes_data=None):
            await self.close(code=4001)

    server.mount(route, Closer)
    async with await connect(server, route) as client:
        await client.send_text("bye")
        with pytest.raises(SocketClosed, match=f"/{route} closed \\(code 4001\\)"):
            await client.receive()
        assert client.close_code == 4001


# Stopping, in an interpreter of its own: after stop() this process could never start a server.

SHUTDOWN_SCRIPT = textwrap.dedent(
    """
    import asyncio, threading
    from channels.generic.websocket import AsyncJsonWebsocketConsumer
    from workbook import ServerStopped, SocketClosed, close_all, connect, create_user, live_server

    class Member(AsyncJsonWebsocketConsumer):
        async def connect(self):
            await self.channel_layer.group_add("everyone", self.channel_name)
            await self.accept()

        async def note(self, event):
            await self.send_json({"note": event["text"]})

    async def main():
        server = live_server()
        server.mount("ws/members/", Member)
        create_user("alice", "a-password-for-tests")
        members = await connect(server, "/ws/members/", n=2)
        chat = await connect(server, "/ws/chat/lobby/", user="alice")
        await chat.send_json({"message": "stored in the database"})
        assert (await chat.receive_json())["user"] == "alice"
        await server.group_send("everyone", {"type": "note", "text": "hi"})
        assert [await m.receive_json() for m in members] == [{"note": "hi"}] * 2
        await close_all(members)
        # chat stays open: stop() must end it.
        server.stop()
        assert not server.running
        try:
            await chat.receive(timeout=5)
        except SocketClosed as closed:
            print("open socket ended:", closed)
        await chat.close()
        others = [t.name for t in threading.enumerate()
                  if t is not threading.main_thread() and not t.daemon]
        assert others == [], others
        assert "workbook-live-server" not in [t.name for t in threading.enumerate()]
        assert asyncio.all_tasks() == {asyncio.current_task()}, asyncio.all_tasks()
        try:
            live_server()
        except ServerStopped as error:
            print("restart refused:", error)
        else:
            raise AssertionError("live_server() started again after stop()")
        print("stopped cleanly")

    asyncio.run(main())
    """
)


def run_script(script, env=None):
    """`script` run by this Python in a process of its own, as a fresh kernel would run it."""
    return subprocess.run(
        [sys.executable, "-c", script],
        cwd=REPO_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_stop_leaves_nothing_running_and_refuses_a_restart():
    result = run_script(SHUTDOWN_SCRIPT)
    assert result.returncode == 0, result.stderr
    assert "open socket ended: /ws/chat/lobby/ closed" in result.stdout
    assert "restart the kernel" in result.stdout
    assert result.stdout.endswith("stopped cleanly\n")
    assert result.stderr == ""  # nothing the server does is printed


# Source display.


def test_show_source_finds_a_class_with_its_lines():
    lines, start = inspect.getsourcelines(ChatConsumer)
    shown = show_source("chat/consumers.py", "ChatConsumer")
    end = start + len(lines) - 1
    assert repr(shown) == (
        f"# chat/consumers.py, lines {start}-{end}: ChatConsumer\n" + "".join(lines).rstrip("\n")
    )
    assert (shown.start, shown.end) == (start, end)
    assert "<span" in shown._repr_html_()


def test_show_source_finds_a_method_and_takes_objects():
    lines, start = inspect.getsourcelines(ChatConsumer.receive_json)
    shown = show_source("chat/consumers.py", "ChatConsumer.receive_json")
    assert repr(shown).splitlines()[0] == (
        f"# chat/consumers.py, lines {start}-{start + len(lines) - 1}: ChatConsumer.receive_json"
    )
    assert shown.data == "".join(lines).rstrip("\n")
    assert repr(show_source(ChatConsumer.receive_json)) == repr(shown)


def test_show_source_includes_decorators_and_explains_missing_names(tmp_path):
    module = tmp_path / "example.py"
    module.write_text(
        "import functools\n"
        "\n"
        "\n"
        "@functools.cache\n"
        "def cached():\n"
        "    return 1\n"
        "\n"
        "\n"
        "class Box:\n"
        "    @property\n"
        "    def size(self):\n"
        "        return 2\n"
    )
    assert repr(show_source(module, "cached")).splitlines()[0].endswith("lines 4-6: cached")
    size = show_source(module, "Box.size")
    assert repr(size).splitlines()[0].endswith("lines 10-12: Box.size")
    assert size.data.splitlines()[0] == "    @property"
    with pytest.raises(LookupError, match="'missing' in Box; it defines: size"):
        show_source(module, "Box.missing")


def test_show_file_shows_lines_of_any_file_with_a_guessed_language():
    template = "chat/templates/chat/room.html"
    shown = show_file(template, lines=(1, 3))
    assert isinstance(shown, SourceCode)
    assert shown.language == "html+django"
    text = (REPO_ROOT / "course_project" / template).read_text().splitlines()
    assert repr(shown) == f"# {template}, lines 1-3\n" + "\n".join(text[:3])
    assert show_file("chat/static/chat/room.js").language == "javascript"
    assert show_file("Makefile").language == "make"
    with pytest.raises(FileNotFoundError, match=r"no file 'chat/nothing\.py'"):
        show_file("chat/nothing.py")


def test_show_file_takes_text_markers_for_its_lines():
    shown = show_file("mysite/settings.py", lines=("REDIS_URL = ", "CHANNEL_LAYERS = {"))
    text = repr(shown)
    assert "REDIS_URL = os.environ" in text
    assert text.rstrip().endswith("CHANNEL_LAYERS = {")
    with pytest.raises(ValueError, match="contains 'no such text'"):
        show_file("mysite/settings.py", lines=("no such text", 10))


async def test_close_is_prompt_with_many_unread_messages(server, route):
    class Chatty(AsyncWebsocketConsumer):
        async def connect(self):
            await self.accept()
            for number in range(50):
                await self.send(text_data=str(number))

    server.mount(route, Chatty)
    client = await connect(server, f"/{route}")
    await client.expect(lambda message: message == "49", timeout=TIMEOUT)
    await asyncio.wait_for(client.close(), TIMEOUT / 2)
    assert client.closed


# A kernel's first live_server(), counting the migrations it runs; the tables must be there.
FIRST_SERVER = """
from workbook import server

migrations = []
migrate = server.LiveServer._migrate
server.LiveServer._migrate = lambda self, timeout: (migrations.append(1), migrate(self, timeout))
server.live_server()

from chat.models import Message

print(Message.objects.count(), len(migrations))
"""


@pytest.mark.parametrize(("template", "migrations"), [(True, 0), (False, 1)])
def test_a_new_server_migrates_only_a_database_not_copied_from_the_template(template, migrations):
    env = dict(os.environ)
    if not template:
        del env[TEMPLATE_ENV]
    done = run_script(FIRST_SERVER, env)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0", str(migrations)]
