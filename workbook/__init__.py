"""The notebook runtime of Channels Workbook: live servers, clients, tracing, source display.

Lessons start with `from workbook import ...`; importing it makes course_project's apps importable.
Nothing here sets Django up or starts a server until a lesson asks for one (live_server()).
"""

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
COURSE_PROJECT = REPO_ROOT / "course_project"

if str(COURSE_PROJECT) not in sys.path:
    sys.path.insert(0, str(COURSE_PROJECT))

# After the paths above: these modules use them.
from workbook.clients import (  # noqa: E402
    Client,
    HandshakeRefused,
    LoginFailed,
    ReceiveTimeout,
    SocketClosed,
    close_all,
    connect,
    login,
)
from workbook.live import (  # noqa: E402
    LiveServer,
    ServerStopped,
    create_user,
    live_server,
    login_cookie,
)
from workbook.source import show_file, show_source  # noqa: E402
from workbook.trace import Tracer, database_trips  # noqa: E402

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
    "show_file",
    "show_source",
]
