"""pytest plugin for the repository's own test suite (tests/): course_project importable, and
its settings chosen, before pytest-django looks for them.

Loaded with `-p workbook.pytest_plugin` (pyproject.toml's addopts). From the repository root
pytest-django finds no manage.py to put on the import path, as it would next to one; this does
it, through the same function the in-kernel server uses (workbook.project). A hook of a plugin
rather than a conftest's pytest_configure, because pytest-django reads the settings earlier than
that: before any conftest is imported, in every pytest-xdist worker too.
"""

import pytest

from workbook.project import use_course_project


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests():
    use_course_project()
