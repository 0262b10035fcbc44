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

On a JupyterHub, Binder or a codespace the learner's browser reaches the server elsewhere than
127.0.0.1 (workbook.hosting): `server.browser_url(path)` is the address to show them, and the
server's settings (its path prefix, the host names it accepts) follow from it.
"""

import asyncio
import atexit
import contextlib
import logging
import threading

from workbook import hosting, serverlog
from workbook.addresses import ServerAddress
from workbook.mounts import MountTable
from workbook.project import new_database, setup_django

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
    do, so clients and lessons work against either. `browser` says where the learner's browser
    reaches it (workbook.hosting), and browser_url() gives the links to show them.
    """

    def __init__(self, db_path):
        self.db_path = db_path
        self.application = None  # the MountTable, once started
        self.log = serverlog.ServerLog()
        self.loop = None
        self.port = None
        self.browser = None  # a hosting.BrowserAddress, once the port is known
        self._daphne = None
        self._thread = None
        self._ready = threading.Event()
        self._startup_error = None
        self._restore_logging = None

    def _launch(self, timeout):
        import daphne.server  # first: it installs Twisted's asyncio reactor

        hosting.where_browser_is()  # a bad WORKBOOK_BROWSER_URL stops us before daphne starts
        # Until Django is set up, daphne's own lines (and any error) go to server.log as well.
        self._restore_logging = serverlog.capture(self.log)
        try:
            # daphne listens first and Django is set up after: where the learner's browser reaches
            # this port (a hub's /user/<name>/proxy/<port>/, say) decides settings that Django
            # reads once, when it is set up. Until then only this kernel knows the port.
            self._daphne = daphne.server.Server(
                self._serve_connection,
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
            self._set_up_django(timeout)
        except BaseException:
            self.restore_logging()
            if self._thread is not None and self._thread.is_alive():
                self.stop(timeout=5)
            raise

    def _set_up_django(self, timeout):
        from django.conf import settings

        self.browser = hosting.browser_address(self.port)
        # A database of its own, unless one was given or Django was set up before (by pytest-django,
        # say): copied from the migrated template when there is one (a test run's, the grader's),
        # made with this code moments ago, so it needs no migrating.
        copied = False
        if self.db_path is None and not settings.configured:
            self.db_path, copied = new_database("workbook-live-")
        self.db_path = setup_django(self.db_path, environ=self.browser.django_environ())
        wanted = self.browser.script_name or None
        if (settings.FORCE_SCRIPT_NAME or None) != wanted:
            raise RuntimeError(
                "Django was set up before the server, for another address than "
                f"{self.browser.url()} (FORCE_SCRIPT_NAME is {settings.FORCE_SCRIPT_NAME!r}): "
                "restart the kernel and start live_server() before anything else sets Django up"
            )
        if self.browser.origin and not self.browser.local:
            # The hub's or the codespace's proxy says which scheme the browser used: the page's
            # https origin then matches, for Django's CSRF check, the request it sends.
            self._daphne.proxy_forwarded_proto_header = "X-Forwarded-Proto"
        application = MountTable()  # imports mysite.asgi
        # Setting Django up applied its LOGGING over the capture: capture again (the first
        # capture's restore still puts back what was there before).
        serverlog.capture(self.log)
        # That LOGGING prints INFO records to stderr, and httpx logs each request at INFO:
        # a lesson's own HTTP calls would print a line (with a port in it) into their cells.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        if not copied:
            self._migrate(timeout)
        self.application = application  # from now on connections reach the project

    def _migrate(self, timeout):
        from django.core.management import call_command
        from django.db import connections

        failure = []

        def migrate():
            # In a thread of its own, with no event loop: Django refuses ORM calls from a thread
            # whose loop is running, and a notebook cell's is.
            try:
                call_command("migrate", verbosity=0, interactive=False)
            except BaseException as error:
                failure.append(error)
            finally:
                connections.close_all()

        thread = threading.Thread(target=migrate, name="workbook-migrate", daemon=True)
        thread.start()
        thread.join(timeout)
        if thread.is_alive():
            raise RuntimeError(f"migrating the database took more than {timeout} s")
        if failure:
            raise RuntimeError(f"migrating the database failed: {failure[0]}") from failure[0]

    async def _serve_connection(self, scope, receive, send):
        """What daphne runs for each connection: the project, once Django is set up."""
        if self.application is None:
            # Only this kernel knows the port before then; anything else gets a plain refusal.
            if scope["type"] == "http":
                await send({"type": "http.response.start", "status": 503, "headers": []})
                await send({"type": "http.response.body", "body": b"starting"})
            elif scope["type"] == "websocket":
                await send({"type": "websocket.close"})
            return
        if self.browser.learns_host:
            from django.conf import settings

            learned = hosting.learn_proxied_host(scope, self.browser, settings.ALLOWED_HOSTS)
            if learned:
                logger.info("accepting %s, the host name the browser reaches the hub by", learned)
        await self.application(scope, receive, send)

    def _serve(self):
        try:
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

    def browser_url(self, path="/"):
        """The address of the page `path` for the learner's browser: http://127.0.0.1:<port>/...
        on their own machine, through Jupyter's proxy on a hub, the forwarded address in a
        codespace (workbook.hosting). url() stays the address for clients in this kernel."""
        if self.browser is None:
            raise ServerStopped("the in-kernel server has not started")
        return self.browser.url(path)

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
        server = LiveServer(db_path)
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
