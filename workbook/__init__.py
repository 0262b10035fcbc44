"""The notebook runtime of Channels Workbook: live servers, clients, tracing, source display.

Lessons and exercises import what they use from here: `from workbook import connect, live_server`.
`__all__` below is that public API. These submodules are public too, for what fewer lessons need:

- workbook.checks: check(), expect(), expect_equal(), for the checks in exercise notebooks
- workbook.processes: servers, workers and Redis in processes of their own
- workbook.views: Django views written in a cell, served by the in-kernel server
- workbook.browser: the system Chromium, for Playwright
- workbook.environment: lesson 00's check of the kernel's Python and packages
- workbook.bench.attacks: attack(), a room flooded while its readers stall (lesson 12)
- workbook.bench.bare: the Channels tutorial's chat consumer, the benchmarks' baseline
- workbook.bench.lab: FanoutLab, one fan-out measurement per call (lessons 14 and 15)
- workbook.bench.report: the benchmark's tables, ratios and plots

workbook.bench is also `make bench` (`python -m workbook.bench`); its other modules serve that.

The other modules, one job each, serve these: paths (where the repository's parts are), project
(course_project importable, Django set up), server (the in-kernel daphne), mounts (what it serves),
serverlog (what it logs), addresses (URLs of a server), hosting (where the learner's browser
reaches one: 127.0.0.1, a hub's proxy, a codespace), asgi (an app from a consumer class), users
(accounts in its database), clients (WebSocket clients), trace (the ASGI tracer), trips (database
trips), source (showing project code), pytest_plugin (Django set up for the runtime's own tests),
pytest_schedule (the test run's longest modules first).

Importing workbook sets nothing up and starts nothing until a lesson asks (live_server()).
"""

from workbook.clients import (
    Client,
    HandshakeRefused,
    LoginFailed,
    ReceiveTimeout,
    SocketClosed,
    close_all,
    connect,
    login,
)
from workbook.paths import COURSE_PROJECT, REPO_ROOT
from workbook.project import setup_django
from workbook.server import LiveServer, ServerStopped, live_server
from workbook.source import show_file, show_source
from workbook.trace import Tracer
from workbook.trips import database_trips
from workbook.users import create_user, login_cookie

__all__ = [
    "COURSE_PROJECT",
    "REPO_ROOT",
    "Client",
    "HandshakeRefused",
    "LiveServer",
    "LoginFailed",
    "ReceiveTimeout",
    "ServerStopped",
    "SocketClosed",
    "Tracer",
    "close_all",
    "connect",
    "create_user",
    "database_trips",
    "live_server",
    "login",
    "login_cookie",
    "setup_django",
    "show_file",
    "show_source",
]
