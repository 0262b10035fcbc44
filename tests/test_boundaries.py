"""course_project stands alone: ruff (make lint) fails any import of the course's runtime in it.

The rule lives in course_project/ruff.toml (TID251, banned-api). These tests hand ruff a file it
believes is in course_project/, to show that a violation is caught and the rest is not. The
last test keeps the settings its tests run with in `make test` the same as in its own folder.
"""

import configparser
import subprocess
import sys
import tomllib

import pytest

from workbook.paths import REPO_ROOT
from workbook.project import SETTINGS_MODULE


def ruff_check(source, path):
    """ruff check's exit status and output for `source` as if it were the file `path`."""
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "check", "--no-cache", "--stdin-filename", path, "-"],
        input=source,
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    return result.returncode, result.stdout + result.stderr


@pytest.mark.parametrize(
    "source",
    [
        "import workbook\n\nprint(workbook)\n",
        "from workbook.processes import manage\n\nprint(manage)\n",
        "from workbook.bench import report\n\nprint(report)\n",
        "import tools.nav\n\nprint(tools.nav)\n",
    ],
)
def test_course_project_importing_the_runtime_fails_the_lint(source):
    status, output = ruff_check(source, "course_project/chat/boundary.py")

    assert status == 1, output
    assert output.startswith("TID251")
    assert "course_project stands alone" in output
    assert "Found 1 error." in output


def test_course_project_importing_django_and_its_own_apps_passes():
    source = (
        "from django.conf import settings\n\nfrom chat.rooms import is_valid_room_name\n\n"
        "print(settings, is_valid_room_name)\n"
    )

    assert ruff_check(source, "course_project/chat/boundary.py") == (0, "All checks passed!\n")


def test_the_rule_is_course_projects_alone():
    source = "import workbook\n\nprint(workbook)\n"

    assert ruff_check(source, "tests/boundary.py") == (0, "All checks passed!\n")


def test_make_test_runs_the_projects_tests_with_the_settings_of_its_pytest_ini():
    """`make test` runs course_project's tests from the repository's root, where pyproject.toml's
    settings apply instead of course_project/pytest.ini's: the two must agree."""
    ini = configparser.ConfigParser()
    ini.read(REPO_ROOT / "course_project" / "pytest.ini")
    project = ini["pytest"]
    root = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["tool"]["pytest"][
        "ini_options"
    ]
    for name in (
        "asyncio_mode",
        "asyncio_default_fixture_loop_scope",
        "asyncio_default_test_loop_scope",
    ):
        assert root[name] == project[name], name
    assert root["filterwarnings"] == project["filterwarnings"].split()
    assert project["addopts"] in root["addopts"]
    assert project["DJANGO_SETTINGS_MODULE"] == SETTINGS_MODULE
