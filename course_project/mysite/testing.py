"""Helpers for tests of the project, and of anything else that serves it (the course's notebook
runtime uses them too): the test database in a file, and session cookies for sockets.
"""

from django.conf import settings
from django.test import Client

#: The Host a browser sends to a server on http://127.0.0.1 (which is in ALLOWED_HOSTS), and the
#: Origin its pages send: the server's own origin.
HOST = b"127.0.0.1"
ORIGIN = b"http://127.0.0.1"
#: The client address a server puts in the scope; limits count per address.
CLIENT = ("127.0.0.1", 50000)
#: The password of the test users (conftest.py's alice, bob and carol).
PASSWORD = "correct-horse-battery-staple"


def use_test_database_file(path):
    """Make the test database a SQLite file at `path` instead of SQLite's shared-cache memory.

    Sockets' database work runs in other threads than the test's. An in-memory test database
    reaches them through SQLite's shared cache, where a lock held by one connection fails another
    one's write at once ("database table is locked") instead of waiting up to the `timeout` in
    settings, as a file does.
    """
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = str(path)


def session_cookie(session_key):
    """A Cookie header value carrying the session `session_key`."""
    return f"{settings.SESSION_COOKIE_NAME}={session_key}"


def login_cookie(user):
    """A Cookie header value with a fresh session of `user` logged in, as the login page makes.

    Give it to a WebSocket's handshake and AuthMiddlewareStack makes scope["user"] that user.
    """
    client = Client()
    client.force_login(user)
    return session_cookie(client.cookies[settings.SESSION_COOKIE_NAME].value)
