"""course_project served by daphne inside the notebook's own process, with cells mounting consumers.

    server = live_server()                      # once per kernel; again returns the same server
    server.mount("ws/echo/", EchoConsumer)      # a consumer from a cell, reachable at once
    clients = await connect(server, "/ws/echo/", n=2)
    await server.group_send("lobby", {"type": "chat.message", "text": "hi"})

Why in the kernel and not in a process of its own (see workbook.processes for that): a consumer
written in a cell exists only in the kernel, and so does the in-memory channel layer, so a cell can
mount the one and talk to the other directly.

Twisted's reactor, which daphne runs on, cannot be started twice in a process: there is one server
per kernel, started on first use and reused after. Everything the server would log (daphne, Django,
Channels, errors in consumers) is kept in `server.log` instead of printed, because whatever a
background thread prints lands in whichever cell happens to be running.
"""

import asyncio
import atexit
import collections
import contextlib
import copy
import logging
import os
import shutil
import tempfile
import threading
from pathlib import Path

from workbook.processes import ServerAddress
from workbook.trace import asgi_application

#: Loggers of the server's stack; their records go to `server.log`, not to cell outputs.
#: The root logger ("") too: course_project's settings send every logger there, and its apps
#: (chat.history, channels_redis, ...) log from the server thread.
SERVER_LOGGERS = ("", "daphne", "twisted", "django", "channels", "workbook.live")
RESTART_NEEDED = (
    "the in-kernel server was stopped, and Twisted's reactor cannot start again in the same "
    "process: restart the kernel (Kernel > Restart Kernel) to get a new server"
)

logger = logging.getLogger("workbook.live")

_lock = threading.Lock()
_server = None


class ServerStopped(RuntimeError):
    """The in-kernel server has stopped; only a new process (a kernel restart) can run another."""


class ServerLog(logging.Handler):
    """The last `limit` log lines of the server's stack; its repr is those lines, for a cell."""

    def __init__(self, limit=200):
        super().__init__(level=logging.INFO)
        self.lines = collections.deque(maxlen=limit)
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record):
        try:
            self.lines.append(self.format(record))
        except Exception:
            self.handleError(record)

    def clear(self):
        self.lines.clear()

    def __repr__(self):
        return "\n".join(self.lines) or "(nothing logged)"


def _capture_loggers(handler):
    """Send the server stack's loggers to `handler` only; return how to put them back."""
    saved = []
    for name in SERVER_LOGGERS:
        log = logging.getLogger(name)
        saved.append((log, log.handlers[:], log.propagate))
        log.handlers = [handler]
        log.propagate = False

    def restore():
        for log, handlers, propagate in saved:
            log.handlers = handlers
            log.propagate = propagate

    return restore


def _websocket_pattern(route, app):
    """A URLPattern from `route` (a path string, or a path()/re_path() entry) and `app`."""
    from django.urls import URLPattern, path

    if isinstance(route, URLPattern):
        if app is not None:
            raise TypeError(
                "mount(path(...)) takes the consumer inside path(); do not pass it twice"
            )
        return URLPattern(
            route.pattern, asgi_application(route.callback), route.default_args, route.name
        )
    if not isinstance(route, str):
        raise TypeError(f"route must be a path string or a path()/re_path() entry, not {route!r}")
    if app is None:
        raise TypeError(
            f"mount({route!r}, ...) needs the consumer class or ASGI app to serve there"
        )
    return path(route.lstrip("/"), asgi_application(app))


def _websocket_key(route):
    """How a WebSocket mount is named: its route, as path() or re_path() holds it."""
    from django.urls import URLPattern

    return str(route.pattern) if isinstance(route, URLPattern) else str(route).lstrip("/")


def _http_prefix(prefix):
    key = str(prefix).strip("/")
    if not key:
        raise ValueError("mount HTTP apps under a prefix such as 'raw/', not at the root")
    return key


def _replace_router(stack, router):
    """A copy of a websocket middleware stack with `router` in place of its URLRouter.

    Returns (copied stack, the URLRouter it replaced). Middleware keep their inner app in
    `.inner` (Channels' BaseMiddleware, the auth stack) or `.application` (OriginValidator).
    """
    from channels.routing import URLRouter

    if isinstance(stack, URLRouter):
        return router, stack
    for attribute in ("inner", "application"):
        inner = getattr(stack, attribute, None)
        if inner is not None:
            layer = copy.copy(stack)
            replacement, found = _replace_router(inner, router)
            setattr(layer, attribute, replacement)
            return layer, found
    raise LookupError(f"no URLRouter found inside {stack!r}")


class MountTable:
    """The application the in-kernel server runs: course_project's, plus apps mounted by cells.

    WebSocket connections go through a copy of the project's own websocket stack (origin check,
    session and token auth) whose router tries the mounted consumers first, then the project's
    routes. HTTP requests under a mounted prefix go to that app, the rest to Django.

    A connection is routed when it opens, from the table as it is then, so a re-mount affects
    new connections only. Tables are replaced, never changed in place, because cells change them
    from the kernel's thread while the server reads them from its own.
    """

    def __init__(self, application):
        self.application = application
        self.websocket = {}  # route: (URLPattern, URLRouter over just that pattern)
        self.http = {}  # prefix without slashes: app
        project_stack = application.application_mapping["websocket"]
        try:
            self.websocket_app, self.project_router = _replace_router(
                project_stack, self.route_websocket
            )
        except LookupError as error:
            raise RuntimeError(
                "mysite.asgi's websocket application has changed shape: the in-kernel server "
                f"needs a URLRouter inside its middleware to mount consumers ({error})"
            ) from None

    def mount(self, route, app=None):
        from channels.routing import URLRouter

        pattern = _websocket_pattern(route, app)
        key = _websocket_key(pattern)
        self.websocket = {**self.websocket, key: (pattern, URLRouter([pattern]))}

    def mount_http(self, prefix, app):
        self.http = {**self.http, _http_prefix(prefix): asgi_application(app)}

    def unmount(self, route):
        if _websocket_key(route) in self.websocket:
            key = _websocket_key(route)
            self.websocket = {k: v for k, v in self.websocket.items() if k != key}
        elif str(route).strip("/") in self.http:
            key = str(route).strip("/")
            self.http = {k: v for k, v in self.http.items() if k != key}
        else:
            mounted = [*self.websocket, *self.http]
            raise KeyError(f"nothing is mounted at {route!r}; mounted: {mounted or 'nothing'}")

    async def route_websocket(self, scope, receive, send):
        """The router inside the websocket stack: mounted consumers first, then the project's."""
        path = scope["path"].lstrip("/")
        for pattern, router in self.websocket.values():
            if pattern.pattern.match(path):
                return await router(scope, receive, send)
        return await self.project_router(scope, receive, send)

    def _http_app(self, scope):
        path = scope["path"].lstrip("/")
        for prefix, app in self.http.items():
            if path == prefix or path.startswith(prefix + "/"):
                return app, dict(scope, root_path=scope.get("root_path", "") + "/" + prefix)
        return self.application, scope

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket":
            return await self.websocket_app(scope, receive, send)
        if scope["type"] == "http":
            app, scope = self._http_app(scope)
            return await app(scope, receive, send)
        return await self.application(scope, receive, send)


class LiveServer(ServerAddress):
    """The one daphne server of this process, on a free 127.0.0.1 port, in a daemon thread.

    Its addresses (`origin`, `url()`, `ws_url()`) come from ServerAddress, as a ServerProcess's
    do, so clients and lessons work against either.
    """

    def __init__(self, db_path):
        self.db_path = db_path
        self.application = None  # the MountTable, once started
        self.log = ServerLog()
        self.loop = None
        self.port = None
        self._daphne = None
        self._thread = None
        self._ready = threading.Event()
        self._startup_error = None
        self._restore_logging = None

    @classmethod
    def start(cls, *, db_path=None, timeout=30):
        """The same as live_server(): start the server, or return the one already running."""
        return live_server(db_path=db_path, timeout=timeout)

    def _launch(self, timeout):
        import daphne.server  # first: it installs Twisted's asyncio reactor

        from mysite.asgi import application

        # After Django is set up: django.setup() applies settings.LOGGING, which would undo it.
        self._restore_logging = _capture_loggers(self.log)
        # That LOGGING prints INFO records to stderr, and httpx logs each request at INFO:
        # a lesson's own HTTP calls would print a line (with a port in it) into their cells.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        try:
            self.application = MountTable(application)
            self._daphne = daphne.server.Server(
                self.application,
                endpoints=[f"tcp:port=0:interface={self.host}"],
                signal_handlers=False,  # only the main thread may install them: the kernel's
                verbosity=0,  # Twisted's own log goes nowhere
                ready_callable=self._when_running,
            )
            self._thread = threading.Thread(
                target=self._serve, name="workbook-live-server", daemon=True
            )
            self._thread.start()
            if not self._ready.wait(timeout):
                raise RuntimeError(
                    f"the in-kernel server did not start within {timeout} s:\n{self.log}"
                )
            if self._startup_error is not None:
                raise RuntimeError(
                    f"the in-kernel server could not start: {self._startup_error}\n{self.log}"
                ) from self._startup_error
        except BaseException:
            self.restore_logging()
            raise

    def _serve(self):
        from django.core.management import call_command
        from django.db import connections

        try:
            # In this thread because no event loop runs here yet: Django refuses ORM calls from
            # a thread with a running loop, and a notebook cell is one.
            call_command("migrate", verbosity=0, interactive=False)
            connections.close_all()
            self._daphne.run()  # returns when the reactor stops
        except BaseException as error:
            self._startup_error = error
            logger.exception("the in-kernel server failed")
        finally:
            if not self._ready.is_set() and self._startup_error is None:
                self._startup_error = RuntimeError(f"daphne could not listen on {self.host}")
            self._ready.set()
            self._close_loop()

    def _when_running(self):
        def running():
            if not self._daphne.listening_addresses:
                self._startup_error = RuntimeError(f"daphne could not listen on {self.host}")
                self._daphne.stop()
            else:
                self.port = self._daphne.listening_addresses[0][1]
                self.loop = loop
                loop.set_exception_handler(self._loop_exception)
            self._ready.set()

        # daphne calls this just before it runs the reactor, having made the reactor's asyncio
        # loop this thread's loop; call_soon() runs `running` once that loop is running.
        loop = asyncio.get_event_loop()
        loop.call_soon(running)

    def _loop_exception(self, loop, context):
        # asyncio's default handler prints to stderr, that is into some cell: log it here instead.
        logger.error(
            context.get("message", "error in the server's event loop"),
            exc_info=context.get("exception"),
        )

    def _close_loop(self):
        loop = self.loop
        if loop is None or loop.is_closed():
            return
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()

    @property
    def running(self):
        return self._thread is not None and self._thread.is_alive() and self.loop is not None

    # Mounting apps written in cells.

    def mount(self, route, app=None):
        """Serve WebSocket connections on `route` with `app` (a consumer class or ASGI app).

        `route` is a path string ("ws/echo/", "ws/rooms/<str:name>/") with `app`, or a Django
        path()/re_path() entry holding the consumer. The app sits behind the same middleware as
        the project's sockets (origin check against ALLOWED_HOSTS, session and token auth) and
        is tried before the project's routes. Mounting the same route again replaces it for new
        connections; sockets already open keep the consumer they started with.
        """
        self.application.mount(route, app)

    def mount_http(self, prefix, app):
        """Serve HTTP requests under `prefix` ("raw/") with a raw ASGI app, before Django.

        The app sees the full path, with scope["root_path"] set to the prefix.
        """
        self.application.mount_http(prefix, app)

    def unmount(self, route):
        """Stop serving `route` (as given to mount() or mount_http()) for new connections."""
        self.application.unmount(route)

    @property
    def mounts(self):
        """What cells have mounted: {"websocket": [routes], "http": [prefixes]}."""
        table = self.application
        return {
            "websocket": list(table.websocket) if table else [],
            "http": [f"{prefix}/" for prefix in table.http] if table else [],
        }

    # Calls into the server's event loop.

    def _check_running(self):
        if not self.running:
            raise ServerStopped(RESTART_NEEDED)

    async def call(self, coroutine, timeout=10):  # noqa: ASYNC109
        """Run `coroutine` on the server's event loop; await its result from any other loop.

        The channel layer's state is tied to the loop its consumers run on: the in-memory
        layer's queues (asyncio.Queue) belong to the server's loop, so a `group_send` awaited
        directly in a notebook cell, which runs on the kernel's loop, may seem to work and then
        fail with "... is bound to a different event loop" or wait forever. So the coroutine is
        handed to the server's loop with asyncio.run_coroutine_threadsafe() and the
        concurrent.futures.Future it returns is made awaitable here with asyncio.wrap_future().
        """
        if not self.running:
            coroutine.close()  # never started: close it rather than warn "never awaited"
            raise ServerStopped(RESTART_NEEDED)
        future = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        try:
            return await asyncio.wait_for(asyncio.wrap_future(future), timeout)
        except TimeoutError:
            raise TimeoutError(
                f"the call on the server's event loop did not finish within {timeout} s"
            ) from None

    @property
    def channel_layer(self):
        from channels.layers import get_channel_layer

        return get_channel_layer()

    async def group_send(self, group, message, timeout=10):  # noqa: ASYNC109
        """channel_layer.group_send(group, message), run on the server's loop (see call())."""
        await self.call(self.channel_layer.group_send(group, message), timeout)

    async def send(self, channel, message, timeout=10):  # noqa: ASYNC109
        """channel_layer.send(channel, message), run on the server's loop (see call())."""
        await self.call(self.channel_layer.send(channel, message), timeout)

    def run_sync(self, function, *args, timeout=10, **kwargs):
        """Call `function` (ORM code) where the server's consumers run theirs, and wait for it.

        Django refuses ORM calls from a thread whose event loop is running (a notebook cell), and
        SQLite prefers one writer: running it through sync_to_async on the server's loop puts it
        in the same thread as the consumers' own database work.
        """
        from asgiref.sync import sync_to_async

        self._check_running()
        if threading.current_thread() is self._thread:
            raise RuntimeError("run_sync() cannot wait for the server from the server's own thread")
        future = asyncio.run_coroutine_threadsafe(
            sync_to_async(function)(*args, **kwargs), self.loop
        )
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise TimeoutError(f"{function.__name__} did not finish within {timeout} s") from None

    # Stopping: for tests and scripts; a kernel simply ends with the process.

    def stop(self, timeout=10):
        """Stop the reactor and wait for the server thread; no server can start after this."""
        from twisted.internet import reactor

        if self._thread is None or not self._thread.is_alive():
            return
        # daphne logs as it shuts down, perhaps after restore_logging() or at interpreter exit
        # when the usual handlers' streams are closed: keep those lines in server.log as well.
        restore = _capture_loggers(self.log)
        try:
            reactor.callFromThread(self._daphne.stop)
            self._thread.join(timeout)
        finally:
            restore()
        if self._thread.is_alive():
            raise RuntimeError(f"the in-kernel server did not stop within {timeout} s")
        self.restore_logging()

    def restore_logging(self):
        """Give daphne's, Django's and Channels' loggers back their own handlers.

        For test sessions that go on after the server's tests; stop() does it too.
        """
        if self._restore_logging is not None:
            self._restore_logging()
            self._restore_logging = None

    def __repr__(self):
        state = f"{self.origin}" if self.running else "stopped"
        mounts = self.mounts
        mounted = ", ".join([*mounts["websocket"], *mounts["http"]]) or "nothing"
        return f"<LiveServer {state}; mounted: {mounted}>"


def setup_django(db_path=None):
    """Configure Django for course_project with a database of its own, unless already set up.

    Returns the database path. If something set Django up before (pytest-django, a cell that
    called django.setup()), the database configured there is used.
    """
    import django
    from django.conf import settings

    if settings.configured:
        configured = settings.DATABASES["default"]["NAME"]
        if db_path is not None and str(configured) != str(db_path):
            raise RuntimeError(
                f"Django is already set up with the database {configured}; start live_server() "
                "before anything else sets Django up, or restart the kernel"
            )
        return configured
    if db_path is None:
        folder = tempfile.mkdtemp(prefix="workbook-live-")
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        db_path = Path(folder) / "db.sqlite3"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
    os.environ["DJANGO_DB_PATH"] = str(db_path)
    django.setup()
    return db_path


def live_server(*, db_path=None, timeout=30):
    """The in-kernel server: started (Django set up, database migrated) on the first call,
    the same object on every later one.

    `db_path` picks the SQLite file (default: a fresh one in a temporary folder).
    """
    global _server
    with _lock:
        if _server is not None:
            if not _server.running:
                raise ServerStopped(RESTART_NEEDED)
            if db_path is not None and str(db_path) != str(_server.db_path):
                raise RuntimeError(
                    f"the in-kernel server already runs on the database {_server.db_path}; "
                    "restart the kernel to use another"
                )
            return _server
        server = LiveServer(setup_django(db_path))
        server._launch(timeout)
        _server = server
        return server


@atexit.register
def _stop_at_exit():
    # A daemon thread would not hold the process up, but stopping lets consumers close cleanly.
    if _server is not None and _server.running:
        with contextlib.suppress(RuntimeError):
            _server.stop(timeout=5)


def _create_user(username, password):
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(username=username)
    user.set_password(password)
    user.save()
    return user


def create_user(username, password):
    """A user in the in-kernel server's database (created, or its password reset if it exists)."""
    return live_server().run_sync(_create_user, username, password)


def _session_cookie(user):
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    User = get_user_model()
    # Looked up afresh even for a User object: a stale copy (its password changed since) would
    # sign a session the auth middleware then rejects, and the socket would be anonymous.
    lookup = {"username": user} if isinstance(user, str) else {"pk": user.pk}
    try:
        account = User.objects.get(**lookup)
    except User.DoesNotExist:
        raise LookupError(
            f"no user {user!r} in the server's database: "
            "create one with create_user(name, password)"
        ) from None
    client = Client()
    client.force_login(account)  # stores a session for the user the way a login view would
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}"


def login_cookie(user):
    """A Cookie header value logging `user` (a User or a username) in on the in-kernel server."""
    return live_server().run_sync(_session_cookie, user)
