"""pytest plugin for the repository's own test suite (tests/): course_project importable, and
its settings chosen, before pytest-django looks for them.

Loaded with `-p workbook.pytest_plugin` (pyproject.toml's addopts). From the repository root
pytest-django finds no manage.py to put on the import path, as it would next to one; this does
it, through the same function the in-kernel server uses (workbook.project). A hook of a plugin
rather than a conftest's pytest_configure, because pytest-django reads the settings earlier than
that: before any conftest is imported, in every pytest-xdist worker too.

It also pins where links point: to 127.0.0.1, as in the lessons' stored outputs.
"""

import os

import pytest

from workbook.project import use_course_project


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests():
    use_course_project()
    # The lessons' stored outputs were made where the browser reaches the kernel at 127.0.0.1:
    # links are checked against that, whatever JupyterHub or Codespaces variables this shell
    # has (workbook.hosting). Notebook kernels inherit it; tests that want another place say so.
    os.environ["WORKBOOK_BROWSER_URL"] = "http://127.0.0.1:{port}/"
