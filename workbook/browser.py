"""The system Chromium, for Playwright: where it is and how to launch it on these machines.

Playwright never downloads a browser here; lessons and tests drive the Chromium the system has.
"""

import os
import shutil

__all__ = ["CHROMIUM_ARGS", "CHROMIUM_MISSING", "chromium_args", "find_chromium"]

CHROMIUM_MISSING = (
    "no Chromium found: install it (Debian: sudo apt-get install chromium-headless-shell, "
    "or chromium) or set CHROMIUM=/path/to/chrome"
)
# The headless shell first: the course only ever runs Chromium headless, and the shell (what
# Playwright itself uses for headless runs) draws the same pages for about 40% less CPU than the
# whole browser in its headless mode, measured on the browser tests of a 2-core machine.
CHROMIUM_NAMES = ("chromium-headless-shell", "chromium", "chromium-browser")

# Chromium as root in a container needs --no-sandbox; the rest stop it from calling home, which
# a closed network answers with slow failures.
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)


def find_chromium():
    """$CHROMIUM, else the first of CHROMIUM_NAMES on PATH, else None."""
    found = (shutil.which(name) for name in CHROMIUM_NAMES)
    return os.environ.get("CHROMIUM") or next(filter(None, found), None)


def chromium_args(*extra):
    """Flags for Playwright's chromium.launch(args=...): CHROMIUM_ARGS, then `extra`."""
    return [*CHROMIUM_ARGS, *extra]
