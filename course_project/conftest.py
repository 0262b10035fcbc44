"""Fixtures shared by the course project's tests.

WebSocket tests run the full `mysite.asgi.application`, so origin validation, the session cookie
and AuthMiddlewareStack all take part, exactly as under daphne.
"""

import contextlib
import uuid

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.core.cache import cache
from django.test import Client

from chat import history
from mysite.testing import CLIENT, HOST, ORIGIN, PASSWORD, login_cookie, use_test_database_file

TIMEOUT = 10  # s, for what must come: make test runs these beside lessons and browsers


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """The test database is a file of this run's own (one per xdist worker), never db.sqlite3.

    A file, not memory: see use_test_database_file().
    """
    use_test_database_file(tmp_path_factory.mktemp("database") / "test.sqlite3")


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """PBKDF2 costs a noticeable fraction of a second per user; tests need no safe hashes."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def alice(django_user_model, db):
    return django_user_model.objects.create_user(username="alice", password=PASSWORD)


@pytest.fixture
def bob(django_user_model, db):
    return django_user_model.objects.create_user(username="bob", password=PASSWORD)


@pytest.fixture
def carol(django_user_model, db):
    return django_user_model.objects.create_user(username="carol", password=PASSWORD)


@pytest.fixture
def alice_client(alice):
    """A test Client with alice logged in."""
    client = Client()
    client.force_login(alice)
    return client


@pytest.fixture
def room_name():
    """A room no other test uses: the in-memory channel layer lives as long as the process."""
    return f"room-{uuid.uuid4().hex[:12]}"


class FakeClock:
    """A clock for TokenBucket that moves only when the test says so."""

    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now

    def advance(self, seconds):
        self.now += seconds


@pytest.fixture
def fake_clock():
    return FakeClock()


@pytest.fixture
async def websocket_connect():
    """Opens sockets on the full ASGI application, refused or not.

    `connected, socket = await websocket_connect(path, user=alice)`: `user` logs the socket in
    through a session cookie; `origin=None` sends no Origin header. Every socket opened is
    disconnected after the test, and the channel layer emptied.
    """
    from mysite.asgi import application

    sockets = contextlib.AsyncExitStack()

    async def connect(path, *, user=None, origin=ORIGIN):
        headers = [(b"host", HOST)]
        if origin is not None:
            headers.append((b"origin", origin))
        if user is not None:
            cookie = await sync_to_async(login_cookie)(user)
            headers.append((b"cookie", cookie.encode()))
        communicator = WebsocketCommunicator(application, path, headers=headers)
        communicator.scope["client"] = CLIENT  # as a server fills it in
        connected, _ = await communicator.connect(timeout=TIMEOUT)
        sockets.push_async_callback(communicator.disconnect, timeout=TIMEOUT)
        return connected, communicator

    try:
        async with sockets:
            yield connect
    finally:
        await get_channel_layer().flush()


@pytest.fixture
def websocket(websocket_connect):
    """Opens a socket that must be accepted: `socket = await websocket(path, user=alice)`."""

    async def open_socket(path, **options):
        connected, communicator = await websocket_connect(path, **options)
        assert connected, f"{path} refused the socket"
        return communicator

    return open_socket


@pytest.fixture
def wait_until_processed():
    """Waits until a chat socket's consumer has finished every frame sent to it so far.

    A consumer handles one frame at a time, handing each message to the history writer, which
    stores it, then broadcasts it and notifies its mentions. Once the consumer answers a later bad
    frame, every earlier message is with the writer; then the writer is waited for.
    Anything the socket receives before that answer is consumed.
    """

    async def wait(socket):
        await socket.send_json_to({})
        while "error" not in await socket.receive_json_from(timeout=TIMEOUT):
            pass
        await history.flush()  # the writer runs on this test's event loop

    return wait


@pytest.fixture(autouse=True)
def empty_cache():
    """Rate limits count in the cache: every test starts with no hits counted and leaves none."""
    cache.clear()
    yield
    cache.clear()
