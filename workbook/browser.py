"""The system Chromium, for Playwright: where it is and how to launch it on these machines.

Playwright never downloads a browser here; lessons and tests drive the Chromium the system has.
"""

import os
import shutil

__all__ = ["CHROMIUM_ARGS", "CHROMIUM_MISSING", "chromium_args", "find_chromium"]

CHROMIUM_MISSING = (
    "no Chromium found: install it (Debian/Ubuntu: sudo apt-get install chromium) "
    "or set CHROMIUM=/path/to/chrome"
)

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
    """$CHROMIUM, else chromium or chromium-browser from PATH, else None."""
    return (
        os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )


def chromium_args(*extra):
    """Flags for Playwright's chromium.launch(args=...): CHROMIUM_ARGS, then `extra`."""
    return [*CHROMIUM_ARGS, *extra]
