"""pytest plugin: the repository's test run hands out its longest modules first.

`make test` runs with `--dist loadscope`: pytest-xdist gives each worker whole modules, because a
lesson's cells must run in order in one kernel. By default it hands them out by their number of
tests, most first. The longest module is not the one with the most tests: the class-grading
tests are four, and take most of a minute. Handed out last, such a module keeps one worker busy
while the others have finished, and on 2 cores half the machine waits for it.

So each run under pytest-xdist keeps how long each test took (build/test-durations.json), and the
next run hands out its modules by their total, longest first: the short ones fill the gaps at
the end. This is the "longest processing time first" rule for scheduling jobs on machines. A
run without the file (a fresh clone) keeps pytest-xdist's own order; a module with a test not
timed yet (new, or renamed) goes first, since it may be long.

Loaded with `-p workbook.pytest_schedule` (pyproject.toml's addopts), as workbook.pytest_plugin is.
"""

import json
import math
import os
import tempfile

import pytest

from workbook.paths import REPO_ROOT

DURATIONS = REPO_ROOT / "build" / "test-durations.json"
# The durations go to the workers with their start-up data, read once by the run itself: every
# worker must order the same tests the same way, or pytest-xdist stops the run.
WORKER_INPUT_KEY = "workbook_test_durations"

__all__ = ["DURATIONS", "load_durations", "longest_first", "save_durations"]


def module_of(nodeid):
    return nodeid.split("::", 1)[0]


def load_durations(path=DURATIONS):
    """{test id: seconds} from the last run; {} when there is none or it cannot be read."""
    try:
        durations = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(durations, dict):
        return {}
    return {
        nodeid: float(seconds)
        for nodeid, seconds in durations.items()
        if isinstance(seconds, int | float) and seconds >= 0
    }


def save_durations(durations, path=DURATIONS):
    """Merge `durations` into the file, written whole or not at all (another run may read it)."""
    merged = {**load_durations(path), **durations}
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w") as file:
        json.dump(merged, file, indent=0, sort_keys=True)
    os.replace(partial, path)


def longest_first(items, durations):
    """`items` with whole modules reordered by their tests' total duration, longest first.

    A module with a test that has no duration goes first. Tests keep their order within a module,
    and modules of equal duration keep theirs.
    """
    totals, position = {}, {}
    for item in items:
        module = module_of(item.nodeid)
        position.setdefault(module, len(position))
        totals[module] = totals.get(module, 0.0) + durations.get(item.nodeid, math.inf)
    return sorted(
        items,
        key=lambda item: (-totals[module_of(item.nodeid)], position[module_of(item.nodeid)]),
    )


def _distributes_modules(config):
    return getattr(config.option, "dist", "no") == "loadscope"


def _is_controller(config):
    return not hasattr(config, "workerinput") and getattr(config.option, "dist", "no") != "no"


class _Timer:
    """On the run's controller: each test's setup, call and teardown, as the workers report them."""

    def __init__(self, config):
        self.config = config
        self.durations = load_durations()
        self.measured = {}

    @pytest.hookimpl(optionalhook=True)
    def pytest_configure_node(self, node):
        if _distributes_modules(self.config):
            node.workerinput[WORKER_INPUT_KEY] = self.durations

    def pytest_runtest_logreport(self, report):
        self.measured[report.nodeid] = self.measured.get(report.nodeid, 0.0) + report.duration

    def pytest_sessionfinish(self):
        if self.measured:
            save_durations(self.measured)


def pytest_configure(config):
    if _is_controller(config):
        timer = _Timer(config)
        config.pluginmanager.register(timer, "workbook-test-timer")
        if _distributes_modules(config) and timer.durations:
            config.option.loadscopereorder = False  # the workers' order below, not the count


@pytest.hookimpl(trylast=True)  # after -m and -k have deselected what will not run
def pytest_collection_modifyitems(config, items):
    # Only a worker of a run that hands out whole modules has them (its own option says "no").
    durations = getattr(config, "workerinput", {}).get(WORKER_INPUT_KEY)
    if durations:
        items[:] = longest_first(items, durations)
