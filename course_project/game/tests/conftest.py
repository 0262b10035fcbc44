"""Sockets on /ws/game/<room>/ through the full ASGI application, for players and watchers.

Like the project's `websocket` fixture, plus guests: a guest is a session cookie, as the game
page starts one.
"""

import contextlib

import pytest
from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.contrib.sessions.backends.db import SessionStore

from mysite.testing import login_cookie, session_cookie

HOST = b"127.0.0.1"
ORIGIN = b"http://127.0.0.1"
#: The client address a server puts in the scope; limits count per address.
CLIENT = ("127.0.0.1", 50000)
TIMEOUT = 10


def guest_cookie_now():
    session = SessionStore()
    session["game_guest"] = True
    session.save()
    return session_cookie(session.session_key).encode()


@pytest.fixture
def guest_cookie():
    """`cookie = await guest_cookie()`: a new guest's session cookie."""
    return sync_to_async(guest_cookie_now)


@pytest.fixture
async def game_socket():
    """`socket = await game_socket(room, user=alice)` (or `cookie=...`, or neither: a watcher
    without a session). The socket must be accepted; the state it gets on connect is read and
    kept as `socket.initial`. Every socket is disconnected after the test."""
    from mysite.asgi import application

    sockets = contextlib.AsyncExitStack()

    async def open_socket(room, *, user=None, cookie=None):
        headers = [(b"host", HOST), (b"origin", ORIGIN)]
        if user is not None:
            cookie = (await sync_to_async(login_cookie)(user)).encode()
        if cookie is not None:
            headers.append((b"cookie", cookie))
        socket = WebsocketCommunicator(application, f"/ws/game/{room}/", headers=headers)
        socket.scope["client"] = CLIENT  # as a server fills it in
        connected, _ = await socket.connect(timeout=TIMEOUT)
        sockets.push_async_callback(socket.disconnect, timeout=TIMEOUT)
        assert connected, f"/ws/game/{room}/ refused the socket"
        socket.initial = await socket.receive_json_from(timeout=TIMEOUT)
        return socket

    try:
        async with sockets:
            yield open_socket
    finally:
        await get_channel_layer().flush()
