"""WebSocket clients for notebook cells, on the `websockets` library.

    alice, bob = await connect(server, "/ws/chat/lobby/", n=2)
    await alice.send_json({"message": "hi"})
    await bob.receive_json()                  # {"message": "hi", "user": "anonymous", ...}
    await close_all([alice, bob])

`server` is the in-kernel server (workbook.server) or a server process (workbook.processes): both
have `.origin` and `.ws_url()`. Every wait has a timeout, and a timeout says what was awaited, on
which path, and what did arrive, so a lesson that goes wrong explains itself. (That is why the
async methods take `timeout=` rather than leaving it to `asyncio.timeout()` around them.)
"""

import asyncio
import json
import re

import httpx
from websockets.asyncio.client import connect as websocket_connect
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.protocol import State

__all__ = [
    "Client",
    "HandshakeRefused",
    "LoginFailed",
    "ReceiveTimeout",
    "SocketClosed",
    "close_all",
    "connect",
    "login",
]

#: Characters of each message quoted in an error, and how many of the latest messages.
QUOTE_LIMIT = 80
QUOTE_COUNT = 5

REFUSAL_HINTS = {
    403: (
        "The project answers 403 when the Origin header is missing or is not exactly the "
        "server's own origin (scheme, host and port) or one in DJANGO_TRUSTED_ORIGINS, when a "
        "user or address has too many sockets open, when the consumer closes before accept() "
        "(a room name it rejects, a user who is not logged in), and under daphne when no route "
        "serves the path"
    ),
    404: "No route serves this path",
    500: (
        "The application raised while handling the handshake; the server's log has the "
        "traceback (server.log in the kernel)"
    ),
}


class HandshakeRefused(ConnectionError):
    """The server answered the WebSocket handshake with an HTTP error instead of accepting it."""

    def __init__(self, path, status, reason=""):
        self.path = path
        self.status = status
        message = f"server refused the WebSocket handshake to {path} with HTTP {status}"
        if reason:
            message += f" {reason}"
        if status in REFUSAL_HINTS:
            message += f". {REFUSAL_HINTS[status]}"
        super().__init__(message)


class ReceiveTimeout(TimeoutError):
    """Nothing (or nothing matching) arrived in time; the message says what did arrive."""


class SocketClosed(ConnectionError):
    """The connection closed while a message was awaited."""


class LoginFailed(RuntimeError):
    """Logging in over HTTP did not give a session."""


def _quote(messages):
    """The latest few messages, each cut short, for an error message."""
    messages = list(messages)
    shown = []
    for message in messages[-QUOTE_COUNT:]:
        text = repr(message)
        shown.append(text if len(text) <= QUOTE_LIMIT else text[: QUOTE_LIMIT - 1] + "…")
    earlier = len(messages) - len(shown)
    prefix = [f"... {earlier} earlier"] if earlier else []
    return "[" + ", ".join(prefix + shown) + "]"


def decode(frame):
    """A text frame holding a JSON object or array becomes a dict or list; other frames stay
    as they are (text as str, binary as bytes), so an echo of "42" is still the text "42"."""
    if isinstance(frame, str) and frame.lstrip()[:1] in ("{", "["):
        try:
            return json.loads(frame)
        except ValueError:
            return frame
    return frame


def _matches(pattern, message):
    if callable(pattern):
        return pattern(message)
    return isinstance(message, dict) and all(
        key in message and message[key] == value for key, value in pattern.items()
    )


def _seconds(value):
    return f"{value:g} s"


class Client:
    """One open WebSocket. `received` keeps every decoded message in order of arrival."""

    def __init__(self, websocket, path):
        self.websocket = websocket
        self.path = path
        self.received = []

    # Sending.

    async def send_json(self, payload):
        await self.websocket.send(json.dumps(payload))

    async def send_text(self, text):
        await self.websocket.send(text)

    async def send_bytes(self, data):
        await self.websocket.send(bytes(data))

    # Receiving.

    async def _next_frame(self, deadline):
        """The next raw frame (str or bytes), or None once the loop's clock passes `deadline`."""
        try:
            async with asyncio.timeout_at(deadline):
                frame = await self.websocket.recv()  # cancelling recv() loses nothing
        except TimeoutError:
            return None
        except ConnectionClosed as closed:
            raise SocketClosed(
                f"{self.path} closed ({self._close_reason(closed)}) while a message was awaited; "
                f"received so far: {_quote(self.received)}"
            ) from None
        self.received.append(decode(frame))
        return frame

    async def _next(self, deadline):
        frame = await self._next_frame(deadline)
        return None if frame is None else self.received[-1]

    @staticmethod
    def _close_reason(closed):
        frame = closed.rcvd or closed.sent
        if frame is None:
            return "no close frame: the connection dropped"
        reason = f"code {frame.code}" + (f", reason {frame.reason!r}" if frame.reason else "")
        if frame.code == 1011:
            # What daphne sends when the application raised: the traceback is in its log.
            reason += ": the consumer raised; the server's log has the traceback"
        return reason

    def _timeout(self, timeout):
        return ReceiveTimeout(
            f"no message on {self.path} within {_seconds(timeout)}; "
            f"received so far: {_quote(self.received)}"
        )

    async def receive(self, timeout=2):  # noqa: ASYNC109
        """The next message: a dict or list for JSON objects and arrays, else str or bytes."""
        message = await self._next(asyncio.get_running_loop().time() + timeout)
        if message is None:
            raise self._timeout(timeout)
        return message

    async def receive_json(self, timeout=2):  # noqa: ASYNC109
        """The next message, which must be JSON text, decoded."""
        frame = await self._next_frame(asyncio.get_running_loop().time() + timeout)
        if frame is None:
            raise self._timeout(timeout)
        if isinstance(frame, bytes):
            raise ValueError(
                f"the message on {self.path} is binary, not JSON text: {_quote([frame])}"
            )
        try:
            return json.loads(frame)
        except ValueError:
            raise ValueError(f"the message on {self.path} is not JSON: {_quote([frame])}") from None

    async def collect(self, window=0.3):
        """Every message that arrives within `window` seconds (perhaps none), in order."""
        deadline = asyncio.get_running_loop().time() + window
        messages = []
        while True:
            try:
                message = await self._next(deadline)
            except SocketClosed:
                return messages
            if message is None:
                return messages
            messages.append(message)

    async def expect(self, pattern, timeout=2):  # noqa: ASYNC109
        """The first message matching `pattern`, skipping others.

        `pattern` is a dict (every key present with that value) or a predicate function.
        """
        deadline = asyncio.get_running_loop().time() + timeout
        skipped = []
        while True:
            message = await self._next(deadline)
            if message is None:
                raise ReceiveTimeout(
                    f"no message matching {pattern!r} on {self.path} within "
                    f"{_seconds(timeout)}; received meanwhile: {_quote(skipped)}"
                )
            if _matches(pattern, message):
                return message
            skipped.append(message)

    # Closing.

    async def close(self, code=1000):
        await self.websocket.close(code)

    @property
    def closed(self):
        return self.websocket.state is State.CLOSED

    @property
    def close_code(self):
        return self.websocket.close_code

    async def __aenter__(self):
        return self

    async def __aexit__(self, *exc_info):
        await self.close()

    def __repr__(self):
        state = "closed" if self.closed else "open"
        return f"<Client {self.path} {state}, {len(self.received)} received>"


async def _connect_one(server, path, headers, origin, open_timeout, host=None):
    url, address = server.ws_url(path), {}
    if host:
        # The Host header comes from the URL; the TCP connection still goes to the server.
        url = f"ws://{host}/{path.lstrip('/')}"
        address = {"host": server.host, "port": server.port}
    try:
        websocket = await websocket_connect(
            url,
            **address,
            origin=origin or None,
            additional_headers=headers,
            open_timeout=open_timeout,
            proxy=None,  # always straight to 127.0.0.1, whatever the environment says
            # No keepalive pings of our own (the server pings, and the library answers): a cell
            # that blocks for a while must not cost its sockets, and closing leaves no task behind.
            ping_interval=None,
            # Keep every unread message: with the default bound of 16, a socket with more unread
            # stops reading, never sees the server's close frame, and close() waits 10 s.
            max_queue=None,
        )
    except InvalidStatus as refused:
        response = refused.response
        raise HandshakeRefused(path, response.status_code, response.reason_phrase) from None
    return Client(websocket, path)


async def connect(
    server,
    path,
    *,
    user=None,
    cookie=None,
    origin=None,
    headers=None,
    host=None,
    n=None,
    timeout=5,  # noqa: ASYNC109
):
    """Open a WebSocket to `path` on `server`; with `n`, a list of n of them, opened together.

    The Origin header is `server.origin` unless `origin` says otherwise ("" sends none).
    `cookie` is a Cookie header value, e.g. from `await login(server, name, password)`;
    `user` (a User or a username) logs in on the in-kernel server without a password.
    `headers` adds others, e.g. {"Authorization": "Bearer ..."} as a script would send.
    `host` is the `Host` header, the site's name as a browser sends it ("chat.example.com"),
    for a server that answers only to that name; the connection still goes to `server`.
    `timeout` bounds the opening handshake. A refused handshake raises HandshakeRefused.
    """
    path = "/" + path.lstrip("/")
    if user is not None:
        if cookie is not None:
            raise TypeError("pass user= or cookie=, not both")
        cookie = _in_kernel_cookie(server, user)
    headers = dict(headers or {})
    if cookie:
        headers["Cookie"] = cookie
    headers = headers or None
    origin = server.origin if origin is None else origin
    if n is None:
        return await _connect_one(server, path, headers, origin, timeout, host)
    results = await asyncio.gather(
        *(_connect_one(server, path, headers, origin, timeout, host) for _ in range(n)),
        return_exceptions=True,
    )
    clients = [result for result in results if isinstance(result, Client)]
    errors = [result for result in results if isinstance(result, BaseException)]
    if errors:
        await close_all(clients)  # all or nothing: no half-open set left behind
        raise errors[0]
    return clients


def _in_kernel_cookie(server, user):
    from workbook.server import LiveServer
    from workbook.users import login_cookie

    if not isinstance(server, LiveServer):
        raise TypeError(
            "user= logs in on the in-kernel server only; for a server process use "
            "cookie=await login(server, username, password)"
        )
    return login_cookie(user)


async def close_all(clients):
    """Close every client (those already closed included), concurrently."""
    await asyncio.gather(*(client.close() for client in clients))


_CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


async def login(server, username, password, timeout=10):  # noqa: ASYNC109
    """Log in through the login page, as a browser would; return the session Cookie value.

    Works with any server that serves course_project (a server process or the in-kernel one).
    """
    cookie_name = _session_cookie_name()
    async with httpx.AsyncClient(base_url=server.origin, timeout=timeout, trust_env=False) as http:
        page = await http.get("/accounts/login/")
        page.raise_for_status()
        token = _CSRF_INPUT.search(page.text)
        if token is None:
            raise LoginFailed(f"no CSRF token in {server.origin}/accounts/login/")
        response = await http.post(
            "/accounts/login/",
            data={"username": username, "password": password, "csrfmiddlewaretoken": token[1]},
        )
        session = response.cookies.get(cookie_name)
        if response.status_code != 302 or session is None:
            raise LoginFailed(
                f"logging in as {username!r} failed (HTTP {response.status_code}): "
                "wrong username or password, or the user does not exist in this server's database"
            )
    return f"{cookie_name}={session}"


def _session_cookie_name():
    """The name of course_project's session cookie, from its settings."""
    from django.conf import settings

    from workbook.project import use_course_project

    use_course_project()  # reading settings needs no more than that: not django.setup()
    return settings.SESSION_COOKIE_NAME
