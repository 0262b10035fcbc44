"""workbook.pytest_plugin: how the repository's own test run treats notebooks and databases."""

import contextlib
import os
import sqlite3

from jupyter_client.manager import KernelManager

from workbook import pytest_plugin
from workbook.paths import REPO_ROOT
from workbook.project import TEMPLATE_ENV


class IPyNbFile:
    """Stands for nbval's notebook collector: the plugin looks at its class name and path."""

    def __init__(self, path):
        self.path = path
        self.compare_outputs = True


def test_solutions_run_without_their_outputs_compared_and_lessons_with():
    lesson = IPyNbFile(REPO_ROOT / "notebooks" / "05-chat-rooms.ipynb")
    solution = IPyNbFile(REPO_ROOT / "solutions" / "05-chat-rooms.ipynb")
    for collector in (lesson, solution):
        pytest_plugin.pytest_collectstart(collector)
    assert lesson.compare_outputs
    assert not solution.compare_outputs


def test_the_run_has_one_migrated_database_for_kernels_and_servers_to_copy():
    with contextlib.closing(sqlite3.connect(os.environ[TEMPLATE_ENV])) as database:
        applied = database.execute("SELECT app FROM django_migrations").fetchall()
    assert {"auth", "chat", "notifications"} <= {app for (app,) in applied}


def test_a_lessons_kernel_is_asked_to_stop_before_it_is_killed(monkeypatch):
    asked = []
    monkeypatch.setattr(
        KernelManager, "shutdown_kernel", lambda self, now=False, restart=False: asked.append(now)
    )
    pytest_plugin._LessonKernelManager().shutdown_kernel(now=True)
    assert asked == [False]


def test_a_lessons_kernel_starts_without_the_debugger_as_a_graded_one_does():
    manager = pytest_plugin._LessonKernelManager(kernel_name="python3")
    command = manager.format_kernel_cmd()
    assert "ipykernel_launcher" not in command
    assert "sys.modules['debugpy'] = None" in " ".join(command)
