"""Run one notebook so that whatever it does costs only its owner.

Each run gets a private temporary folder holding nothing but the notebook, a process group (and,
with bwrap, a sandbox: see sandbox.py) of its own, and limits: a time limit per cell (the worker
interrupts the cell), a time limit for the whole notebook, a memory limit and a process limit
(this side watches the whole process tree and ends it). The worker's report comes through a pipe
only this run can write to, read with a size limit.
"""

import contextlib
import itertools
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import psutil

from tools.exercises import ROOT
from tools.grading import sandbox
from workbook.checks import RESULT_MIME, RESULTS_ENV
from workbook.processes import manage, project_env
from workbook.project import TEMPLATE_ENV

LINE_LIMIT = 256 * 1024  # bytes in one event line; longer lines are dropped
EVENTS_LIMIT = 10_000  # events kept per run
TAIL_LIMIT = 16 * 1024  # bytes kept of the worker's own output, for a crash report
WATCH_INTERVAL = 0.25  # seconds between looks at the process tree (a /proc scan each)
# The variables a notebook may see; nothing else of the grader's environment (tokens!) goes in.
PASSED_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ")
RUN_MARK = "WORKBOOK_GRADING_RUN"  # finds a run's stray processes when there is no sandbox
STOPPED_MID_CELL = ("timeout", "memory", "processes", "disk", "died", "killed")
DISK_EVERY = 8  # looks at the process tree between two measures of the files written
FILES_LIMIT = 20_000  # more files than this count as over the disk limit: measuring is not free
DB_COPY = ".workbook-db.sqlite3"  # the run's own copy of the migrated database, in its folder


@dataclass(frozen=True)
class Limits:
    cell: float = 60  # seconds per cell
    notebook: float = 300  # seconds for the whole notebook, kernel start included
    memory_mb: int = 2048  # resident memory of all the notebook's processes together
    processes: int = 200
    disk_mb: int = 1024  # files written in its folder (and /dev/shm, which is memory)


@dataclass
class Run:
    """What happened when one notebook ran."""

    done: dict = field(default_factory=dict)  # cell index -> its "done" event
    started: list = field(default_factory=list)  # cell indices in the order they started
    finished: bool = False
    stopped: str = ""  # why the run ended early: one of STOPPED_MID_CELL, or "stuck"
    stopped_in: int | None = None  # the cell that was running then
    seconds: float = 0.0
    kernel_seconds: float | None = None  # until the first cell started: the kernel's start
    cpu_seconds: float = 0.0
    sandboxed: bool = False
    log: str = ""  # the tail of the worker's own output, when something went wrong


class _Events(threading.Thread):
    """Reads the worker's JSON lines from a pipe, with limits; keeps the valid ones."""

    def __init__(self, fd):
        super().__init__(daemon=True)
        self.fd = fd
        self.events = []
        self.ended = threading.Event()  # the worker said it is done, or its end of the pipe closed

    def run(self):
        pending = b""
        with open(self.fd, "rb", buffering=0) as pipe:
            while chunk := pipe.read(65536):
                pending += chunk
                *lines, pending = pending.split(b"\n")
                if len(pending) > LINE_LIMIT:
                    pending = b""
                for line in lines:
                    self.take(line)
                if _ended(self.events):
                    self.ended.set()
        self.ended.set()

    def take(self, line):
        if len(line) > LINE_LIMIT or len(self.events) >= EVENTS_LIMIT:
            return
        try:
            event = json.loads(line)
        except (ValueError, RecursionError):
            return
        if isinstance(event, dict) and isinstance(event.get("event"), str):
            self.events.append(event)


class _Tail(threading.Thread):
    def __init__(self, stream):
        super().__init__(daemon=True)
        self.stream = stream
        self.data = b""

    def run(self):
        while chunk := self.stream.read(65536):
            self.data = (self.data + chunk)[-TAIL_LIMIT:]


_template_lock = threading.Lock()
_templates = []


def database_template():
    """The bytes of a migrated course_project database, made once per grading process, or None
    if migrating failed (each notebook then migrates its own from nothing, as a learner's does).

    Every graded notebook starts its in-kernel server on a copy (workbook.project.TEMPLATE_ENV):
    hundreds of kernels then skip migrating from nothing, about a tenth of a notebook's CPU. The
    grader keeps it in memory, not in a file, so that no notebook can change another's copy.
    Where TEMPLATE_ENV already names one (a test run's: workbook.pytest_plugin), that is read.
    """
    with _template_lock:
        if not _templates and os.environ.get(TEMPLATE_ENV):
            with contextlib.suppress(OSError):
                _templates.append(Path(os.environ[TEMPLATE_ENV]).read_bytes())
        if not _templates:
            folder = tempfile.mkdtemp(prefix="workbook-grade-db-")
            path = Path(folder) / "db.sqlite3"
            try:
                manage("migrate", "--verbosity", "0", env=project_env(DJANGO_DB_PATH=path))
                _templates.append(path.read_bytes())
            except (OSError, subprocess.SubprocessError):
                _templates.append(None)
            finally:
                shutil.rmtree(folder, ignore_errors=True)
        return _templates[0]


def _environment(workdir, mark, db_copy=None):
    env = {name: os.environ[name] for name in PASSED_ENV if name in os.environ}
    if db_copy is not None:
        env[TEMPLATE_ENV] = str(db_copy)
    env.update(
        HOME=str(workdir),
        TMPDIR=str(workdir),
        PYTHONPATH=str(ROOT),
        PYTHONDONTWRITEBYTECODE="1",
        JUPYTER_PLATFORM_DIRS="1",
        JUPYTER_CONFIG_DIR=str(workdir / ".jupyter"),
        JUPYTER_DATA_DIR=str(workdir / ".jupyter"),
        JUPYTER_RUNTIME_DIR=str(workdir / ".jupyter"),
        IPYTHONDIR=str(workdir / ".ipython"),
        MPLCONFIGDIR=str(workdir / ".matplotlib"),
        PYDEVD_DISABLE_FILE_VALIDATION="1",
        **{RESULTS_ENV: "1", RUN_MARK: mark},
    )
    return env


def _tree(process):
    """`process` and its descendants. Linux lists each thread's children in /proc, which costs a
    few reads; psutil's way reads every process's /proc entry, four times a second per run."""
    try:
        pids, found = [process.pid], []
        while pids:
            pid = pids.pop()
            found.append(pid)
            for children in Path(f"/proc/{pid}/task").glob("*/children"):
                with contextlib.suppress(OSError):
                    pids += [int(child) for child in children.read_text().split()]
        return [process, *(psutil.Process(pid) for pid in found[1:])]
    except FileNotFoundError:  # not Linux, or no such files: ask psutil
        with contextlib.suppress(psutil.Error):
            return [process, *process.children(recursive=True)]
    except psutil.Error:
        pass
    return [process]


def _usage(processes):
    memory = 0
    for process in processes:
        with contextlib.suppress(psutil.Error):
            memory += process.memory_info().rss
    return memory // (1024 * 1024)


def _cpu(processes):
    """CPU seconds the notebook's processes used (those still running at the end)."""
    total = 0.0
    for process in set(processes):
        with contextlib.suppress(psutil.Error):
            times = process.cpu_times()
            total += times.user + times.system + times.children_user + times.children_system
    return round(total, 2)


def _written(folders):
    """MB of files under `folders`, or None when there are more than FILES_LIMIT of them."""
    total, count = 0, 0
    for folder in folders:
        for path, dirs, files in os.walk(folder):
            count += len(dirs) + len(files)
            if count > FILES_LIMIT:
                return None
            for name in files:
                with contextlib.suppress(OSError):
                    total += os.lstat(os.path.join(path, name)).st_blocks * 512
    return total // (1024 * 1024)


def _strays(mark):
    """Processes that left the tree (double fork) but carry this run's mark."""
    found = []
    for process in psutil.process_iter():
        with contextlib.suppress(psutil.Error):
            if process.environ().get(RUN_MARK) == mark:
                found.append(process)
    return found


def _kill(root, pgid, processes, mark, sandboxed):
    with contextlib.suppress(OSError):
        os.killpg(pgid, signal.SIGKILL)
    for process in processes:
        with contextlib.suppress(psutil.Error):
            process.kill()
    if not sandboxed:  # with bwrap, the namespace dies with its first process
        for process in _strays(mark):
            with contextlib.suppress(psutil.Error):
                process.kill()
    with contextlib.suppress(psutil.Error):
        root.wait(timeout=10)


def _remove(folder):
    """Remove a run's folder, even where the notebook took away its own permissions."""

    def unlock(function, path, _error):
        with contextlib.suppress(OSError):
            os.chmod(os.path.dirname(path), 0o700)
            os.chmod(path, 0o700)
            function(path)

    if sys.version_info >= (3, 12):
        shutil.rmtree(folder, onexc=unlock)
    else:
        shutil.rmtree(folder, onerror=unlock)


def run(notebook, filename, limits=Limits(), hide=(), use_sandbox=True):
    """Run `notebook` (an nbformat notebook) as `filename` in a private folder; return a Run.

    The worker gets the notebook through a pipe, never as a file in that folder: without a
    sandbox another submission running beside it could delete the file before it is read."""
    sandboxed = use_sandbox and sandbox.probe()[1]
    result = Run(sandboxed=sandboxed)
    began = time.monotonic()
    workdir = Path(tempfile.mkdtemp(prefix="workbook-grade-")).resolve()
    try:
        template, db_copy = database_template(), None
        if template is not None:
            db_copy = workdir / DB_COPY
            db_copy.write_bytes(template)
        read_fd, write_fd = os.pipe()
        worker = [
            sys.executable,
            "-m",
            "tools.grading.worker",
            filename,
            "--events",
            str(write_fd),
            "--cell-timeout",
            f"{limits.cell:g}",
            "--results-mime",
            RESULT_MIME,
        ]
        argv = sandbox.command(worker, workdir, hide) if sandboxed else worker
        mark = secrets.token_hex(8)
        try:
            process = subprocess.Popen(
                argv,
                cwd=workdir,
                env=_environment(workdir, mark, db_copy),
                stdin=subprocess.PIPE,  # the notebook (see the docstring)
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                pass_fds=(write_fd,),
                start_new_session=True,
            )
        except OSError:
            os.close(read_fd)
            raise
        finally:
            os.close(write_fd)
        feeder = threading.Thread(target=_feed, args=(process.stdin, notebook), daemon=True)
        feeder.start()  # a thread: a notebook larger than the pipe waits for the worker to read
        events, tail = _Events(read_fd), _Tail(process.stdout)
        events.start()
        tail.start()
        _watch(process, events, limits, result, began, mark, sandboxed, workdir)
        events.join(timeout=10)
        tail.join(timeout=10)
        process.stdout.close()
        _read(events.events, result)
        if result.stopped or not result.finished:
            result.log = tail.data.decode("utf-8", "replace")
    finally:
        _remove(workdir)
    result.seconds = time.monotonic() - began
    return result


def _feed(stdin, notebook):
    try:
        stdin.write(nbformat.writes(notebook).encode())
        stdin.close()
    except (BrokenPipeError, OSError):
        pass  # the worker is already gone: _watch reports how it ended


def _watch(process, events, limits, result, began, mark, sandboxed, workdir):
    """Wait for the worker to finish, ending the run at any limit."""
    root = psutil.Process(process.pid)
    pgid = process.pid  # start_new_session made it the group's leader
    deadline = began + limits.notebook
    processes = [root]
    for look in itertools.count():
        # The limits first: a notebook that ends with 300 processes or 3 GB still broke them.
        processes = _tree(root)
        if len(processes) > limits.processes:
            result.stopped = "processes"
            break
        if _usage(processes) > limits.memory_mb:
            result.stopped = "memory"
            break
        if look % DISK_EVERY == 0 or _ended(events.events):
            # Inside the sandbox, /dev/shm is seen through one of its processes' root.
            inside = [f"/proc/{p.pid}/root/dev/shm" for p in processes[1:2]] if sandboxed else []
            written = _written([workdir, *inside])
            if written is None or written > limits.disk_mb:
                result.stopped = "disk"
                break
        if _ended(events.events):
            break
        if process.poll() is not None:
            events.join(timeout=1)  # let the reader take the last lines
            if not _ended(events.events):
                result.stopped = "killed"
            break
        if time.monotonic() > deadline:
            result.stopped = "timeout"
            break
        events.ended.wait(WATCH_INTERVAL)
    processes = _tree(root) + processes
    result.cpu_seconds = _cpu(processes)
    _kill(root, pgid, processes, mark, sandboxed)


def _ended(events):
    last = events[-1] if events else {}
    return last.get("event") in ("finished", "died") or last.get("status") == "stuck"


def _read(events, result):
    for event in events:
        kind, cell = event["event"], event.get("cell")
        if kind == "start" and isinstance(cell, int):
            result.started.append(cell)
            if result.kernel_seconds is None and isinstance(event.get("at"), int | float):
                result.kernel_seconds = float(event["at"])
        elif kind == "done" and isinstance(cell, int):
            result.done[cell] = event
            if event.get("status") == "stuck":
                result.stopped, result.stopped_in = "stuck", cell
        elif kind == "died":
            result.stopped = "died"
        elif kind == "finished":
            result.finished = True
    if result.stopped in STOPPED_MID_CELL and result.started:
        result.stopped_in = result.started[-1]  # running then, or the last to run
