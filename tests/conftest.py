"""The workbook's tests: their test database, and what they need outside Python.

Django is set up for course_project by workbook.pytest_plugin (see pyproject.toml).

On a learner's machine a missing Chromium or redis-server skips the tests that need one with one
line saying what to install. With CI=true it fails them: CI must never pass by skipping.
"""

import os

import pytest

from workbook.browser import CHROMIUM_MISSING, chromium_args, find_chromium
from workbook.processes import REDIS_MISSING, find_redis_server, start_redis

IN_CI = os.environ.get("CI", "").lower() == "true"


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """As in course_project's tests: a test database file of this run's own, never db.sqlite3.

    The in-kernel server's threads share it with the tests (see use_test_database_file()).
    """
    from mysite.testing import use_test_database_file

    use_test_database_file(tmp_path_factory.mktemp("database") / "test.sqlite3")


def require(found, message):
    if found:
        return
    if IN_CI:
        pytest.fail(f"CI=true, so this cannot be skipped: {message}", pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="module")
def browser():
    """The system Chromium, driven by Playwright (which never downloads a browser of its own)."""
    executable = find_chromium()
    require(executable, CHROMIUM_MISSING)
    from playwright.sync_api import expect, sync_playwright

    # expect() has a limit of its own (5 s by default), short for a loaded 2-core machine.
    expect.set_options(timeout=10_000)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=chromium_args())
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def redis_server():
    require(find_redis_server(), REDIS_MISSING)
    with start_redis() as redis:
        yield redis


@pytest.fixture(scope="session")
def npm_packages():
    """The pinned npm packages of tools.vendor (Mermaid, MathJax); npm fetches them once."""
    from tools import vendor

    if not all(package.folder.is_dir() for package in vendor.PACKAGES.values()):
        require(vendor.find_npm(), vendor.NPM_MISSING)
    return {name: vendor.fetch(package) for name, package in vendor.PACKAGES.items()}


@pytest.fixture(scope="session")
def chromium_executable():
    """The system Chromium's path, for tests that launch it with flags of their own."""
    executable = find_chromium()
    require(executable, CHROMIUM_MISSING)
    return executable


@pytest.fixture(scope="session")
def jupyter_server_proxy():
    """jupyter-server-proxy, for the tests that put a Jupyter server in front of the course."""
    import importlib.util

    require(
        importlib.util.find_spec("jupyter_server_proxy"),
        "jupyter-server-proxy is not installed: pip install -r requirements.txt",
    )
