"""A fake class, graded end to end: every way a submission can go wrong costs only its owner.

The class does a tiny exercise (two tasks, five points, one hidden check) so the whole class runs
in seconds; each student's folder holds one of the cases an instructor meets: solved, untouched,
partly solved, edited or untagged checks, stored outputs, broken files, a hanging cell, a kernel
that exits, code that kills its parents, deletes other students' work, forks or eats memory.
"""

import csv
import json
import os
import shutil
import tempfile

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from tools import exercises
from tools.grading import classlist, exercise, grader, runner, sandbox

SETUP = "from workbook.checks import check, expect_equal"
DOUBLE = """def double(x):
    # BEGIN SOLUTION: return twice x
    return 2 * x
    # END SOLUTION"""
GREET = """def greet(name):
    # BEGIN SOLUTION: return "Hello, <name>!"
    return f"Hello, {name}!"
    # END SOLUTION"""
CHECKS = {
    "check-1": 'with check("double(2) is 4", hint="multiply by two"):\n'
    "    expect_equal(double(2), 4)",
    "check-2": 'with check("double() doubles strings too", hint="2 * x", points=2):\n'
    '    expect_equal(double("ab"), "abab")',
    "check-3": 'with check("greet() says hello", hint="an f-string"):\n'
    '    expect_equal(greet("Ada"), "Hello, Ada!")',
}
HIDDEN = (
    'with check("double(-3) is -6", hint="negative numbers too"):\n    expect_equal(double(-3), -6)'
)
# A cell limit well above what a tiny cell needs on a loaded machine (importing the workbook can
# take seconds there), so only the looping cells reach it.
LIMITS = runner.Limits(cell=10, notebook=90, memory_mb=700, processes=60, disk_mb=100)


def cell(kind, source, cell_id, tags=()):
    made = new_code_cell(source) if kind == "code" else new_markdown_cell(source)
    made.id = cell_id
    if tags:
        made.metadata["tags"] = list(tags)
    return made


def tiny_solution():
    check = [exercises.CHECK_TAG]
    return new_notebook(
        cells=[
            cell("markdown", "# Exercise 01 · Tiny\n\nTwo small functions.", "title"),
            cell("code", SETUP, "setup"),
            cell("markdown", "## Task 1 · Double it", "task-1-text"),
            cell("code", DOUBLE, "task-1"),
            cell("code", CHECKS["check-1"], "check-1", check),
            cell("code", CHECKS["check-2"], "check-2", check),
            cell("code", HIDDEN, "check-hidden", [*check, exercises.HIDDEN_TAG]),
            cell("markdown", "## Task 2 · Greet", "task-2-text"),
            cell("code", GREET, "task-2"),
            cell("code", CHECKS["check-3"], "check-3", check),
        ]
    )


def solved(notebook):
    """The learner's copy with both tasks written."""
    notebook = nbformat.from_dict(json.loads(json.dumps(notebook)))
    for each in notebook.cells:
        if each.id == "task-1":
            each.source = "def double(x):\n    return x * 2"
        if each.id == "task-2":
            each.source = 'def greet(name):\n    return "Hello, " + name + "!"'
    return notebook


def replace(notebook, cell_id, source):
    for each in notebook.cells:
        if each.id == cell_id:
            each.source = source
    return notebook


def write(folder, name, notebook_or_text):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if isinstance(notebook_or_text, str):
        path.write_text(notebook_or_text)
    else:
        nbformat.write(notebook_or_text, path)
    return path


KILL_PARENTS = """import os, signal
import psutil
for parent in psutil.Process().parents():
    try:
        os.kill(parent.pid, signal.SIGKILL)
    except OSError:
        pass
os.kill(os.getppid(), signal.SIGKILL)
"""
# The endless loops wait rather than spin, as a learner's loop waiting for a message that never
# comes does: the limits treat both alike, and a spinning loop would hold one of a 2-core
# machine's cores for the whole cell limit in every run of the suite.
ENDLESS_LOOP = """import time
while True:
    time.sleep(0.1)
"""
STUBBORN_LOOP = """import signal, time
signal.signal(signal.SIGINT, signal.SIG_IGN)
while True:
    time.sleep(0.1)
"""
FORK_LOOP = """import os
for _ in range(300):
    if os.fork() == 0:
        os.execv("/bin/sleep", ["sleep", "60"])
"""
DISK_HOG = """import os
for number in range(30):
    with open(f"/dev/shm/hog-{number}", "wb") as hog:
        hog.write(bytes(5 * 1024 * 1024))
"""
MEMORY_HOG = """import time
hoard = []
for _ in range(40):
    hoard.append(bytearray(b"x" * (50 * 1024 * 1024)))
    time.sleep(0.05)
"""


def vandal_code(class_folder, out):
    """Deletes and overwrites everything of other students and the grader it can name."""
    return f"""import glob, os, shutil
for pattern in ["../*/*.ipynb", "../*/*/*.ipynb", {str(class_folder)!r} + "/*/*.ipynb",
                {str(class_folder)!r} + "/*/exercises/*.ipynb"]:
    for path in glob.glob(pattern):
        try:
            os.remove(path)
        except OSError:
            pass
for folder in [{str(out)!r}, {str(class_folder)!r} + "/ada"]:
    shutil.rmtree(folder, ignore_errors=True)
    try:
        os.makedirs(folder, exist_ok=True)
        open(os.path.join(folder, "grades.csv"), "w").write("vandal,100\\n")
    except OSError:
        pass
def double(x):
    return 2 * x
"""


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """solutions/ with the tiny exercise, and the exercise as a learner gets it."""
    root = tmp_path_factory.mktemp("course")
    solutions = root / "solutions"
    write(solutions, "01-tiny.ipynb", tiny_solution())
    [tiny] = exercise.catalogue(solutions)
    handed_out = exercises.exercise_from(solutions / "01-tiny.ipynb")
    return tiny, handed_out


def build_class(folder, out, handed_out, with_sandbox):
    """One folder per case; returns {student: (points, reason fragment)} expected."""
    name = "01-tiny.ipynb"
    fresh = lambda: nbformat.from_dict(json.loads(json.dumps(handed_out)))  # noqa: E731
    expected = {}

    write(folder / "ada", name, solved(fresh()))
    expected["ada"] = (5, "")

    write(folder / "bob", name, fresh())
    expected["bob"] = (0, "not written yet")

    partly = replace(fresh(), "task-1", "def double(x):\n    return x + x")
    write(folder / "cy", name, partly)
    expected["cy"] = (4, "greet() says hello")

    edited = fresh()
    for each in edited.cells:
        if exercises.CHECK_TAG in exercises.tags(each):
            each.source = 'print("✓ passed")'
    write(folder / "dan", name, edited)
    expected["dan"] = (0, "not written yet")

    untagged = solved(fresh())
    for each in untagged.cells:
        each.metadata.pop("tags", None)
    write(folder / "eve", name, untagged)
    expected["eve"] = (5, "")

    stored = replace(fresh(), "task-2", "import os\nos._exit(1)")
    for each in stored.cells:
        if each.cell_type == "code":
            each.execution_count = 1
            each.outputs = [nbformat.v4.new_output("stream", name="stdout", text="✓ passed\n")]
    write(folder / "fay", name, stored)
    expected["fay"] = (0, "the kernel died in task 2")

    write(folder / "gus", name, "{ this is not JSON")
    expected["gus"] = (0, "not a notebook: invalid JSON at line 1")

    write(folder / "hal", name, "{}")
    expected["hal"] = (0, "not a notebook: the file holds {}")

    looping = replace(solved(fresh()), "task-2", ENDLESS_LOOP)
    write(folder / "ivy", name, looping)
    expected["ivy"] = (4, "timed out in task 2 after 10 s")

    stubborn = replace(solved(fresh()), "task-2", STUBBORN_LOOP)
    write(folder / "jay", name, stubborn)
    expected["jay"] = (4, "timed out in task 2 after 10 s and did not stop when interrupted")

    exiting = replace(solved(fresh()), "task-2", "import os\nos._exit(3)")
    write(folder / "kim", name, exiting)
    expected["kim"] = (4, "the kernel died in task 2")

    killer_code = KILL_PARENTS if with_sandbox else "import os, signal\nos.kill(os.getppid(), 9)"
    write(folder / "lee", name, replace(solved(fresh()), "task-2", killer_code))
    expected["lee"] = (4, "the run was killed in task 2")

    vandal = replace(solved(fresh()), "task-1", vandal_code(folder, out))
    if not with_sandbox:  # without a sandbox, only relative paths: it could reach anything
        vandal = replace(solved(fresh()), "task-1", vandal_code("..", "../grades"))
    write(folder / "max", name, vandal)
    expected["max"] = (5, "")

    write(folder / "ned", "README.md", "I did not do it")
    expected["ned"] = (0, "not submitted")

    # The GitHub Classroom layout, a clone named <assignment>-<login>; grace is on the roster.
    write(folder / "tiny-grace" / "exercises", name, solved(fresh()))
    expected["grace"] = (5, "")

    pasted = solved(fresh())
    for each in pasted.cells:
        if each.id == "task-1":
            each.id = "a-pasted-copy"
    pasted.cells.append(cell("code", "print('my own experiment')", "mine"))
    write(folder / "oli", "01-tiny-Copy1.ipynb", pasted)
    expected["oli"] = (5, "")

    no_task_2 = solved(fresh())
    no_task_2.cells = [each for each in no_task_2.cells if each.id != "task-2"]
    write(folder / "pat", name, no_task_2)
    expected["pat"] = (4, "missing from the notebook: task 2")

    write(folder / "stranger", name, solved(fresh()))
    expected["stranger"] = (5, "")

    if with_sandbox:
        write(folder / "una", name, replace(solved(fresh()), "task-2", FORK_LOOP))
        expected["una"] = (4, "started more than 60 processes in task 2")
        write(folder / "vic", name, replace(solved(fresh()), "task-2", MEMORY_HOG))
        expected["vic"] = (4, "used more than 700 MB of memory in task 2")
        write(folder / "wes", name, replace(solved(fresh()), "task-2", DISK_HOG))
        expected["wes"] = (4, "wrote more than 100 MB (or 20000 files) in task 2")

    (folder / ".git").mkdir()
    (folder / ".git" / "01-tiny.ipynb").write_text("{}")
    expected["zed"] = (0, "not submitted")  # on the roster, no folder
    return expected


def graded(tmp_path, course, with_sandbox, only=None):
    tiny, handed_out = course
    folder, out = tmp_path / "class", tmp_path / "grades"
    expected = build_class(folder, out, handed_out, with_sandbox)
    if only:
        for name in set(expected) - set(only):
            del expected[name]
            for path in folder.glob(f"*{name}"):
                shutil.rmtree(path)
    roster = tmp_path / "roster.csv"
    logins = sorted(set(expected) - {"stranger"})
    roster.write_text("identifier,github_username\n" + "".join(f"x,{s}\n" for s in logins))
    before = {path: path.read_bytes() for path in folder.rglob("*.ipynb")}
    options = grader.Options(limits=LIMITS, jobs=3, use_sandbox=with_sandbox)
    students, results = grader.grade_class(
        folder, out, [tiny], classlist.read_roster(roster), options
    )
    return tiny, folder, out, expected, before, students, results


def check_outcome(tiny, folder, out, expected, before, students, results):
    assert {student.name for student in students} == set(expected)
    got = {}
    for name in expected:
        result = results[(name, "01-tiny")]
        got[name] = (result.earned, result.reason)
    for name, (points, reason) in expected.items():
        earned, why = got[name]
        assert earned == points, f"{name}: {earned} points, expected {points} ({why})"
        assert reason in why if reason else why == "", f"{name}: reason {why!r}"
    # Nothing a submission did changed another's file, the gradebook or the feedback.
    for path, data in before.items():
        if "/max/" not in str(path):
            assert path.read_bytes() == data, f"{path} was changed"
    rows = list(csv.DictReader((out / "grades.csv").open()))
    assert [row["student"] for row in rows] == sorted(expected, key=str.lower)
    for row in rows:
        assert int(row["01-tiny"]) == expected[row["student"]][0], row
        assert row["possible"] == "5"
    notes = {row["student"]: row["note"] for row in rows}
    wanted = {
        "stranger": "not on the roster",
        "zed": "handed in nothing",
        "ned": "handed in nothing",
        "oli": "renamed: 01-tiny-Copy1.ipynb",
        "ada": "",
    }
    for name, note in wanted.items():
        assert notes.get(name, note) == note, name
    long = list(csv.DictReader((out / "checks.csv").open()))
    assert len(long) == 4 * len(expected)
    hidden = [row for row in long if row["hidden"] == "yes"]
    assert {row["check"] for row in hidden} == {"double(-3) is -6"}
    for name in expected:
        md = (out / "feedback" / f"{name}.md").read_text()
        page = (out / "feedback" / f"{name}.html").read_text()
        assert md.startswith(f"# Feedback for {name}\n")
        assert f"{expected[name][0]} of 5 points" in md
        assert "<script" not in page
        assert page.count("<h1>") == 1
        for title in ("double(2) is 4", "double() doubles strings too", "greet() says hello"):
            assert title in md or expected[name][1].startswith(("not a notebook", "not sub"))
    if "oli" in expected:
        oli = (out / "feedback" / "oli.md").read_text()
        assert "Not run: 1 code cell you added outside the task cells" in oli
    assert "(hidden check)" in (out / "feedback" / "bob.md").read_text()


def test_a_class_graded_in_the_sandbox(tmp_path, course):
    if not sandbox.probe()[1]:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the grader's sandbox is needed in CI: {sandbox.probe()[0]}")
        pytest.skip(f"no sandbox here: {sandbox.probe()[0]}")
    outcome = graded(tmp_path, course, with_sandbox=True)
    check_outcome(*outcome)
    _, _, out, _, _, _, results = outcome
    assert all(r.sandboxed for r in results.values() if r.status == "graded")
    assert "bubblewrap sandbox" in (out / "grades.md").read_text()


def test_a_class_graded_without_the_sandbox(tmp_path, course, monkeypatch):
    # Without a sandbox a notebook can reach whatever its user can: the run folders go in a
    # folder of this test's own, so the vandal's relative paths reach nothing else.
    (tmp_path / "runs").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "runs"))
    cases = ["ada", "bob", "gus", "ivy", "kim", "lee", "max", "stranger", "zed"]
    outcome = graded(tmp_path, course, with_sandbox=False, only=cases)
    check_outcome(*outcome)
    _, _, out, _, _, _, results = outcome
    assert not any(r.sandboxed for r in results.values())
    assert "sandbox was not used" in (out / "feedback" / "ada.md").read_text()


def test_resume_grades_only_what_is_new_or_changed(tmp_path, course):
    tiny, handed_out = course
    folder, out = tmp_path / "class", tmp_path / "grades"
    write(folder / "ada", "01-tiny.ipynb", solved(handed_out))
    write(folder / "bob", "01-tiny.ipynb", handed_out)
    options = grader.Options(limits=LIMITS, jobs=2)
    graded_now = []

    def progress(count, total, result):
        graded_now.append(result.student)

    grader.grade_class(folder, out, [tiny], None, options, progress)
    assert sorted(graded_now) == ["ada", "bob"]
    first = (out / "grades.csv").read_text()
    graded_now.clear()
    resumed = grader.Options(limits=LIMITS, jobs=2, resume=True)
    grader.grade_class(folder, out, [tiny], None, resumed, progress)
    assert graded_now == []
    assert (out / "grades.csv").read_text() == first
    write(folder / "bob", "01-tiny.ipynb", solved(handed_out))
    _, results = grader.grade_class(folder, out, [tiny], None, resumed, progress)
    assert graded_now == ["bob"]
    assert results[("bob", "01-tiny")].earned == 5


def test_shards_graded_apart_merge_into_one_gradebook(tmp_path, course):
    tiny, _ = course
    folder = tmp_path / "class"
    for name in ("ada", "bob", "cy"):
        write(folder / name, "01-tiny.ipynb", "[]")  # quick to grade: not a notebook
    merged = tmp_path / "merged"
    for k in (1, 2):
        out = tmp_path / f"shard-{k}"
        options = grader.Options(limits=LIMITS, shard=(k, 2))
        students, _ = grader.grade_class(folder, out, [tiny], ["ada", "bob", "cy", "dee"], options)
        assert len(students) == 2
        shutil.copytree(out / "results", merged / "results", dirs_exist_ok=True)
    grader.report(merged, [tiny], ["ada", "bob", "cy", "dee"])
    rows = list(csv.DictReader((merged / "grades.csv").open()))
    assert [row["student"] for row in rows] == ["ada", "bob", "cy", "dee"]
    assert {row["note"] for row in rows} == {"", "handed in nothing"}
    assert sorted(p.name for p in (merged / "feedback").glob("*.md")) == [
        "ada.md",
        "bob.md",
        "cy.md",
        "dee.md",
    ]
    assert "not a notebook: the file holds a list" in (merged / "feedback" / "ada.md").read_text()
