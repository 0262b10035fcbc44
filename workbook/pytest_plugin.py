"""pytest plugin for the repository's own test suite (tests/): course_project importable, and
its settings chosen, before pytest-django looks for them.

Loaded with `-p workbook.pytest_plugin` (pyproject.toml's addopts). From the repository root
pytest-django finds no manage.py to put on the import path, as it would next to one; this does
it, through the same function the in-kernel server uses (workbook.project). A hook of a plugin
rather than a conftest's pytest_configure, because pytest-django reads the settings earlier than
that: before any conftest is imported, in every pytest-xdist worker too.

It also pins where links point: to 127.0.0.1, as in the lessons' stored outputs, gives nbval's
kernels Unix sockets instead of TCP ports and a clean shutdown, and migrates one database that
every kernel and server of the run starts from (below).
"""

import os
import shutil
import sys
import tempfile
import uuid

import pytest
from jupyter_client.manager import KernelManager
from traitlets import CaselessStrEnum, default

from workbook.processes import temporary_database
from workbook.project import TEMPLATE_ENV, use_course_project

# nbval imports nbformat, nbformat imports jsonschema, and jsonschema imports the checkers of
# string formats that are installed: rfc3987_syntax builds a grammar as it is imported, about
# 0.9 CPU-seconds in the run and in each of its workers. Nothing in a test run checks formats
# (the grader's worker does the same: tools/grading/worker.py). Loaded with -p, this module is
# imported before pytest loads nbval.
sys.modules.setdefault("rfc3987_syntax", None)


@pytest.hookimpl(tryfirst=True)
def pytest_load_initial_conftests():
    use_course_project()
    # The lessons' stored outputs were made where the browser reaches the kernel at 127.0.0.1:
    # links are checked against that, whatever JupyterHub or Codespaces variables this shell
    # has (workbook.hosting). Notebook kernels inherit it; tests that want another place say so.
    os.environ["WORKBOOK_BROWSER_URL"] = "http://127.0.0.1:{port}/"


# nbval's kernels talk to pytest over Unix sockets, not TCP ports. With TCP, jupyter_client picks
# five free ports and the kernel binds them a moment later; another kernel starting in another
# pytest-xdist worker (or a lesson's server) can take one in between, and the run fails with
# "Kernel died before replying to kernel_info" (jupyter/nbconvert#1066). A socket file in a
# folder of this run's own cannot be taken. The grader's kernels do the same (tools.grading).
_kernel_sockets = None


class _LessonKernelManager(KernelManager):
    transport = CaselessStrEnum(["tcp", "ipc"], default_value="ipc", config=True)

    @default("ip")
    def _socket_path_prefix(self):
        return os.path.join(_kernel_sockets, f"kernel-{uuid.uuid4().hex}")

    def format_kernel_cmd(self, extra_arguments=None):
        # Without debugpy, as the grader's kernels start: nothing debugs a lesson under nbval, and
        # importing it is a quarter of a kernel's start. (tools is this repository's, as the
        # plugin is: imported here, once pyproject.toml's pythonpath has put the root on the path.)
        from tools.grading.worker import without_debugger

        return without_debugger(super().format_kernel_cmd(extra_arguments))

    def shutdown_kernel(self, now=False, restart=False):
        # nbval asks for now=True, a SIGKILL: the kernel's exit handlers, which stop the servers
        # a lesson started and remove its database folder, would never run. Shut it down the way
        # JupyterLab does instead: ask first, kill only if it does not go.
        super().shutdown_kernel(now=False, restart=restart)


def pytest_configure(config):
    global _kernel_sockets
    if config.pluginmanager.hasplugin("nbval") and sys.platform != "win32":
        import nbval.kernel

        _kernel_sockets = tempfile.mkdtemp(prefix="nbval-kernels-")
        nbval.kernel.KernelManager = _LessonKernelManager
    # One migrated database for the whole run, made before pytest-xdist starts its workers so
    # that they, the kernels and the servers inherit its name: each copies it instead of
    # migrating a database of its own (workbook.project.TEMPLATE_ENV).
    if not hasattr(config, "workerinput") and TEMPLATE_ENV not in os.environ:
        os.environ[TEMPLATE_ENV] = str(temporary_database())


def pytest_collectstart(collector):
    # The exercises' solutions (solutions/) run in the same session as the lessons, each cell
    # required to run without an error; their stored outputs are not compared, as
    # --nbval-lax would do for them alone: a check prints its own verdict, the outputs show
    # nothing a learner reads.
    if type(collector).__name__ == "IPyNbFile" and collector.path.parent.name == "solutions":
        collector.compare_outputs = False


def pytest_unconfigure(config):
    if _kernel_sockets is not None:
        shutil.rmtree(_kernel_sockets, ignore_errors=True)
