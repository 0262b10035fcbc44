"""The notebook runtime of Channels Workbook: live servers, WebSocket clients, tracing, source display.

Lessons start with `from workbook import ...`; importing it makes course_project's apps importable.
"""

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
COURSE_PROJECT = REPO_ROOT / "course_project"

if str(COURSE_PROJECT) not in sys.path:
    sys.path.insert(0, str(COURSE_PROJECT))
