"""course_project stands alone: ruff (make lint) fails any import of the course's runtime in it.

The rule lives in course_project/ruff.toml (TID251, banned-api). These tests hand ruff a file it
believes is in course_project/, to show that a violation is caught and the rest is not.
"""

import subprocess
import sys

import pytest

from workbook.paths import REPO_ROOT


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
