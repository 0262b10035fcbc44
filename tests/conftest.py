"""Fixtures for the tests that need things outside Python: a browser, Redis, server processes.

On a learner's machine a missing Chromium or redis-server skips those tests with one line saying
what to install. With CI=true it fails them: CI must never pass by skipping.
"""

import os
import shutil

import pytest

from workbook.processes import REDIS_MISSING, find_redis_server, start_redis

IN_CI = os.environ.get("CI", "").lower() == "true"

CHROMIUM_MISSING = (
    "no Chromium found: install it (Debian/Ubuntu: sudo apt-get install chromium) "
    "or set CHROMIUM=/path/to/chrome"
)


def require(found, message):
    if found:
        return
    if IN_CI:
        pytest.fail(f"CI=true, so this cannot be skipped: {message}", pytrace=False)
    pytest.skip(message)


def chromium_path():
    return (
        os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )


# Chromium as root in a container needs --no-sandbox; the rest stop it from calling home, which
# a closed network answers with slow failures.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser():
    """The system Chromium, driven by Playwright (which never downloads a browser of its own)."""
    executable = chromium_path()
    require(executable, CHROMIUM_MISSING)
    from playwright.sync_api import expect, sync_playwright

    # expect() has a limit of its own (5 s by default), short for a loaded 2-core machine.
    expect.set_options(timeout=10_000)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def redis_server():
    require(find_redis_server(), REDIS_MISSING)
    with start_redis() as redis:
        yield redis
