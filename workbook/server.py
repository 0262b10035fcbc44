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
Channels, errors in consumers) is kept in `server.log` instead of printed (workbook.serverlog).
"""

import asyncio
import atexit
import contextlib
import logging
import threading

from workbook import serverlog
from workbook.addresses import ServerAddress
from workbook.mounts import MountTable
from workbook.project import setup_django

__all__ = ["LiveServer", "ServerStopped", "live_server", "running_server"]

RESTART_NEEDED = (
    "the in-kernel server was stopped, and Twisted's reactor cannot start again in the same "
    "process: restart the kernel (Kernel > Restart Kernel) to get a new server"
)

logger = logging.getLogger("workbook.server")

_lock = threading.Lock()
_server = None


class ServerStopped(RuntimeError):
    """The in-kernel server has stopped; only a new process (a kernel restart) can run another."""


class LiveServer(ServerAddress):
    """The one daphne server of this process, on a free 127.0.0.1 port, in a daemon thread.

    Its addresses (`origin`, `url()`, `ws_url()`) come from ServerAddress, as a ServerProcess's
    do, so clients and lessons work against either.
    """

    def __init__(self, db_path):
        self.db_path = db_path
        self.application = None  # the MountTable, once started
        self.log = serverlog.ServerLog()
        self.loop = None
        self.port = None
        self._daphne = None
        self._thread = None
        self._ready = threading.Event()
        self._startup_error = None
        self._restore_logging = None

    def _launch(self, timeout):
        import daphne.server  # first: it installs Twisted's asyncio reactor

        self.application = MountTable()  # imports mysite.asgi, which sets Django up
        # After Django is set up: django.setup() applies settings.LOGGING, which would undo it.
        self._restore_logging = serverlog.capture(self.log)
        # That LOGGING prints INFO records to stderr, and httpx logs each request at INFO:
        # a lesson's own HTTP calls would print a line (with a port in it) into their cells.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        try:
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
        restore = serverlog.capture(self.log)
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


def running_server():
    """The in-kernel server if one was started in this process, else None; never starts one."""
    return _server


@atexit.register
def _stop_at_exit():
    # A daemon thread would not hold the process up, but stopping lets consumers close cleanly.
    if _server is not None and _server.running:
        with contextlib.suppress(RuntimeError):
            _server.stop(timeout=5)
