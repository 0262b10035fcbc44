"""workbook.pytest_schedule: a run under pytest-xdist hands out its longest modules first."""

import json
from types import SimpleNamespace

from workbook import pytest_schedule


def items(*nodeids):
    return [SimpleNamespace(nodeid=nodeid) for nodeid in nodeids]


def ids(ordered):
    return [item.nodeid for item in ordered]


def test_modules_go_longest_first_and_keep_their_tests_in_order():
    collected = items(
        "tests/test_quick.py::test_a",
        "notebooks/15-performance.ipynb::Cell 0",
        "notebooks/15-performance.ipynb::Cell 1",
        "tests/test_grading_class.py::test_one",
        "tests/test_grading_class.py::test_two",
    )
    durations = {
        "tests/test_quick.py::test_a": 0.1,
        "notebooks/15-performance.ipynb::Cell 0": 2.0,
        "notebooks/15-performance.ipynb::Cell 1": 9.0,
        "tests/test_grading_class.py::test_one": 30.0,
        "tests/test_grading_class.py::test_two": 1.0,
    }
    assert ids(pytest_schedule.longest_first(collected, durations)) == [
        "tests/test_grading_class.py::test_one",
        "tests/test_grading_class.py::test_two",
        "notebooks/15-performance.ipynb::Cell 0",
        "notebooks/15-performance.ipynb::Cell 1",
        "tests/test_quick.py::test_a",
    ]


def test_a_module_with_a_test_never_timed_goes_first():
    collected = items("tests/test_old.py::test_a", "tests/test_new.py::test_b")
    ordered = pytest_schedule.longest_first(collected, {"tests/test_old.py::test_a": 50.0})
    assert ids(ordered) == ["tests/test_new.py::test_b", "tests/test_old.py::test_a"]


def test_durations_merge_into_the_file_and_a_bad_file_counts_as_none(tmp_path):
    path = tmp_path / "build" / "test-durations.json"
    assert pytest_schedule.load_durations(path) == {}
    pytest_schedule.save_durations({"a.py::x": 1.5, "b.py::y": 2.0}, path)
    pytest_schedule.save_durations({"b.py::y": 3.0}, path)
    assert pytest_schedule.load_durations(path) == {"a.py::x": 1.5, "b.py::y": 3.0}
    assert [p.name for p in path.parent.iterdir()] == ["test-durations.json"]
    for broken in ("{ not json", "[1, 2]", json.dumps({"a.py::x": "slow", "b.py::y": -1})):
        path.write_text(broken)
        assert pytest_schedule.load_durations(path) == {}


def test_every_worker_orders_by_the_durations_the_run_read_once():
    """The controller reads the file once and hands the same durations to each worker."""
    config = SimpleNamespace(option=SimpleNamespace(dist="loadscope"))
    timer = pytest_schedule._Timer(config)
    timer.durations = {"slow.py::t": 9.0, "fast.py::t": 1.0}
    workers = [SimpleNamespace(workerinput={}) for _ in range(2)]
    for node in workers:
        timer.pytest_configure_node(node)
    for node in workers:
        collected = items("fast.py::t", "slow.py::t")
        pytest_schedule.pytest_collection_modifyitems(node, collected)
        assert ids(collected) == ["slow.py::t", "fast.py::t"]


def test_a_run_not_handing_out_modules_keeps_its_order():
    config = SimpleNamespace(option=SimpleNamespace(dist="load"))
    timer = pytest_schedule._Timer(config)
    timer.durations = {"slow.py::t": 9.0, "fast.py::t": 1.0}
    node = SimpleNamespace(workerinput={})
    timer.pytest_configure_node(node)
    collected = items("fast.py::t", "slow.py::t")
    pytest_schedule.pytest_collection_modifyitems(node, collected)
    assert ids(collected) == ["fast.py::t", "slow.py::t"]


def test_the_controller_adds_up_each_tests_phases():
    timer = pytest_schedule._Timer(SimpleNamespace(option=SimpleNamespace(dist="loadscope")))
    for duration in (0.5, 2.0, 0.25):  # setup, call, teardown
        timer.pytest_runtest_logreport(SimpleNamespace(nodeid="a.py::x", duration=duration))
    assert timer.measured == {"a.py::x": 2.75}
