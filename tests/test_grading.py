"""The grader's parts, one at a time: reading untrusted files, putting a submission into the
instructor's copy, finding students, writing feedback, the command line, and the runner's limits.
(The whole path, with a fake class, is tests/test_grading_class.py.)"""

import json
import os
import time
import types

import nbformat
import psutil
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from tools import exercises
from tools.grading import (
    classlist,
    cli,
    exercise,
    feedback,
    grader,
    learner,
    runner,
    submission,
    worker,
)
from tools.grading.results import CheckResult, ExerciseResult

EXERCISE = exercises.SOLUTIONS / "02-first-consumer.ipynb"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "not a notebook: the file is empty"),
        (b'{"cells": [\n  {"source": }', "not a notebook: invalid JSON at line 2"),
        (b"{}", "not a notebook: the file holds {}, with no cells"),
        (b"[]", "not a notebook: the file holds a list, not a notebook"),
        (b'"cells"', "not a notebook: the file holds a string, not a notebook"),
        (b'{"cells": 3}', "not a notebook: it has no list of cells"),
        (b"\xff\xfe{}", "not a notebook: not UTF-8 text (byte 1 is not)"),
        (b"[" * 100_000 + b"]" * 100_000, "not a notebook: JSON nested too deeply"),
    ],
)
def test_a_file_that_is_not_a_notebook_gets_a_reason_not_a_traceback(data, reason):
    with pytest.raises(submission.NotANotebook) as raised:
        submission.parse(data)
    assert str(raised.value) == reason


def test_a_huge_file_is_refused_before_parsing():
    with pytest.raises(submission.NotANotebook, match="over the 20 MB limit"):
        submission.parse(b" " * (submission.MAX_BYTES + 1))


@pytest.fixture(scope="module")
def copy():
    return exercise.load(EXERCISE, hidden=True)


def handed_out():
    return json.loads(nbformat.writes(exercises.exercise_from(EXERCISE)))


def task_source(assembly, cell_id):
    return next(cell.source for cell in assembly.notebook.cells if cell.id == cell_id)


def test_only_task_cells_come_from_the_submission(copy):
    notebook = handed_out()
    for cell in notebook["cells"]:
        if cell["cell_type"] == "code":
            cell["source"] = "print('mine')"
            cell["metadata"] = {}  # tags and nbgrader metadata removed too
    assembly = submission.assemble(copy, notebook)
    for cell in assembly.notebook.cells:
        if cell.id in copy.tasks:
            assert cell.source == "print('mine')"
        elif cell.cell_type == "code":
            assert cell.source != "print('mine')", f"cell {cell.id} came from the student"
    assert assembly.missing == []
    assert assembly.ignored == 0


def test_a_pasted_task_cell_is_found_by_its_tag_and_added_cells_are_counted(copy):
    notebook = handed_out()
    first_task = copy.tasks[0]
    for cell in notebook["cells"]:
        if cell.get("id") == first_task:
            cell["id"] = "pasted-copy"
            cell["source"] = ["class EchoConsumer:\n", "    pass\n"]
    notebook["cells"].append({"cell_type": "code", "id": "extra", "metadata": {}, "source": "x"})
    notebook["cells"].append({"cell_type": "code", "source": None})  # unreadable: skipped
    assembly = submission.assemble(copy, notebook)
    assert task_source(assembly, first_task) == "class EchoConsumer:\n    pass\n"
    assert assembly.ignored == 1


def test_missing_task_cells_are_reported_and_keep_their_stub(copy):
    notebook = handed_out()
    gone = set(copy.tasks[1:])
    notebook["cells"] = [cell for cell in notebook["cells"] if cell.get("id") not in gone]
    assembly = submission.assemble(copy, notebook)
    assert assembly.missing == ["task 2", "task 3"]
    assert "raise NotImplementedError" in task_source(assembly, copy.tasks[1])


def test_hidden_checks_are_in_the_graders_copy_only():
    solution = exercises.SOLUTIONS / "08-notifications.ipynb"
    graded = exercise.load(solution, hidden=True)
    learners = exercise.load(solution, hidden=False)
    hidden = [check for check in graded.checks if check.hidden]
    assert len(hidden) == 1
    assert hidden[0].section == "task 3"
    assert hidden[0] not in learners.checks
    assert graded.points == learners.points + 1


def test_check_names_and_points_are_read_from_the_source():
    source = 'with check("a", points=2):\n    pass\nasync with (check("b"), check("c")):\n    pass'
    assert exercises.checks_in(source) == [("a", 2), ("b", 1), ("c", 1)]
    with pytest.raises(exercises.MarkerError, match="must be a literal"):
        exercises.checks_in('with check(f"{x}"):\n    pass')
    with pytest.raises(exercises.MarkerError, match="points must be a number"):
        exercises.checks_in('with check("a", points=n):\n    pass')


def test_students_layouts_hidden_folders_and_the_roster(tmp_path):
    names = ["02-first-consumer", "03-routing"]
    (tmp_path / "ada").mkdir()
    (tmp_path / "ada" / "02-first-consumer.ipynb").write_text("{}")
    (tmp_path / "hw-grace" / "exercises").mkdir(parents=True)
    (tmp_path / "hw-grace" / "exercises" / "03-routing.ipynb").write_text("{}")
    (tmp_path / "bob").mkdir()
    (tmp_path / "bob" / "02-first-consumer (1).ipynb").write_text("{}")
    (tmp_path / "bob" / "02-old.ipynb").write_text("{}")  # two candidates: neither is taken
    (tmp_path / ".github").mkdir()
    (tmp_path / "_build").mkdir()
    (tmp_path / "notes.txt").write_text("")
    students = classlist.find(tmp_path, names, roster=["ada", "grace", "zoe"])
    assert [s.name for s in students] == ["ada", "bob", "grace", "zoe"]
    ada, bob, grace, zoe = students
    assert list(ada.files) == ["02-first-consumer"]
    assert bob.files == {}
    assert bob.on_roster is False
    assert grace.files["03-routing"].parent.name == "exercises"
    assert zoe.folder is None
    assert zoe.on_roster is True


def test_a_renamed_copy_is_graded_when_it_is_the_only_one(tmp_path):
    (tmp_path / "ada").mkdir()
    (tmp_path / "ada" / "02-first-consumer-Copy1.ipynb").write_text("{}")
    [ada] = classlist.find(tmp_path, ["02-first-consumer"])
    assert ada.renamed == {"02-first-consumer": "02-first-consumer-Copy1.ipynb"}


def test_a_link_to_another_students_notebook_is_refused(tmp_path):
    (tmp_path / "ada").mkdir()
    (tmp_path / "bob").mkdir()
    theirs = tmp_path / "ada" / "02-first-consumer.ipynb"
    theirs.write_text("{}")
    link = tmp_path / "bob" / "02-first-consumer.ipynb"
    link.symlink_to(theirs)
    with pytest.raises(submission.NotANotebook, match="a link to a file elsewhere"):
        grader.read_submission(link, tmp_path / "bob")


@pytest.mark.parametrize(
    ("text", "logins"),
    [
        ("ada\ngrace\n\nada\n", ["ada", "grace"]),
        (
            '"identifier","github_username","github_id","name"\n'
            '"a@x.org","ada","1","Ada"\n"b@x.org","","","Bob"\n',
            ["ada"],
        ),
        ("github_username\nada\n", ["ada"]),
    ],
)
def test_rosters_plain_and_github_classroom(tmp_path, text, logins):
    roster = tmp_path / "roster.csv"
    roster.write_text(text)
    assert classlist.read_roster(roster) == logins


def test_a_roster_with_unknown_columns_says_which_it_wants(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("email,name\na@x.org,Ada\n")
    with pytest.raises(classlist.RosterError, match="github_username"):
        classlist.read_roster(roster)


def test_feedback_escapes_what_a_student_run_printed(tmp_path):
    sneaky = "<script>alert(1)</script>\n```\n# not a heading"
    check = CheckResult("x <b>", "task 1", 1, False, False, sneaky, "use `send()`")
    result = ExerciseResult("ada", "02-first-consumer", "Exercise 02", 1, "graded", checks=[check])
    student = classlist.Student("ada", tmp_path)
    copy = exercise.load(EXERCISE, hidden=False)
    copy.checks = copy.checks[:1]
    feedback.write(tmp_path, student, [copy], {copy.name: result}, "today")
    page = (tmp_path / "ada.html").read_text()
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    assert "x &lt;b&gt;" in page
    md = (tmp_path / "ada.md").read_text()
    assert "  ````\n  <script>alert(1)</script>\n  ```\n  # not a heading\n  ````" in md
    assert "x \\<b\\>" in md
    assert "Hint: use `send()`" in md


def test_a_students_login_cannot_choose_where_feedback_goes():
    assert feedback.filename("../../etc/passwd") == "_.._etc_passwd"
    assert feedback.filename("...") == "_"
    assert feedback.filename("ada-lovelace.1") == "ada-lovelace.1"


@pytest.mark.parametrize(
    ("words", "chosen"),
    [
        (["5"], ["05-chat-rooms"]),
        (["05"], ["05-chat-rooms"]),
        (["5,7"], ["05-chat-rooms", "07-authentication"]),
        (
            ["chat-rooms", "exercises/02-first-consumer.ipynb"],
            ["05-chat-rooms", "02-first-consumer"],
        ),
    ],
)
def test_make_check_ex_accepts_numbers_and_names(words, chosen):
    assert learner.select(words, learner.available()) == chosen


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["check", "99"], "error: no exercise '99'; the exercises are numbered 02–17"),
        (["grade", "/no/such/folder"], "error: /no/such/folder is not a folder of student folders"),
        (["grade", "x", "--jobs", "0"], "argument --jobs: must be more than 0: '0' (see --help)"),
        (["grade", "x", "--shard", "3"], "argument --shard: write K/N, such as 2/4, not '3'"),
        (["grade", "x", "--roster", "/no/roster"], "error: cannot read the roster /no/roster"),
        (["frobnicate"], "invalid choice: 'frobnicate'"),
    ],
)
def test_a_wrong_argument_gets_one_line(argv, message, capsys):
    try:
        status = cli.main(argv)
    except SystemExit as exit_:
        status = exit_.code
    err = capsys.readouterr().err
    assert status == 2
    assert message in err
    assert len(err.strip().splitlines()) == 1, err


def test_the_output_folder_cannot_be_the_class_folder(tmp_path):
    (tmp_path / "ada").mkdir()
    with pytest.raises(grader.GradingError, match="outside the class folder"):
        grader.grade_class(tmp_path, tmp_path / "grades", [])


def notebook_of(*sources):
    return new_notebook(cells=[new_markdown_cell("# x"), *map(new_code_cell, sources)])


def test_the_whole_notebook_has_a_time_limit():
    limits = runner.Limits(cell=600, notebook=15)
    run = runner.run(notebook_of("import time\ntime.sleep(600)"), "slow.ipynb", limits)
    assert run.stopped == "timeout"
    assert not run.finished


def test_without_a_sandbox_a_notebooks_stray_processes_are_ended(tmp_path):
    marker = tmp_path / "orphan.pid"
    orphan = f"""import os, subprocess
subprocess.Popen(["sleep", "120"], start_new_session=True, stdout=subprocess.DEVNULL)
pid = os.fork()
if pid == 0:
    os.setsid()
    child = subprocess.Popen(["sleep", "121"], stdout=subprocess.DEVNULL)
    open({str(marker)!r}, "w").write(str(child.pid))
    os._exit(0)
os.waitpid(pid, 0)
"""
    run = runner.run(notebook_of(orphan), "orphan.ipynb", runner.Limits(), use_sandbox=False)
    assert run.finished
    pid = int(marker.read_text())
    deadline = time.monotonic() + 10
    while psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
        assert time.monotonic() < deadline, "a process the notebook left behind still runs"
        time.sleep(0.1)
    for process in psutil.process_iter(["cmdline", "environ"]):
        if (process.info["cmdline"] or [])[:2] == ["sleep", "120"]:
            assert runner.RUN_MARK not in (process.info["environ"] or {}), "a stray sleep 120"


def test_only_the_variables_a_notebook_needs_reach_it(tmp_path, monkeypatch):
    monkeypatch.setenv("GITHUB_TOKEN", "secret")
    leak = f"import os\nopen({str(tmp_path / 'env.json')!r}, 'w').write(repr(dict(os.environ)))"
    runner.run(notebook_of(leak), "env.ipynb", runner.Limits(), use_sandbox=False)
    seen = (tmp_path / "env.json").read_text()
    assert "GITHUB_TOKEN" not in seen
    assert os.environ["PATH"] in seen


def test_each_kernel_starts_from_its_own_copy_of_a_database_migrated_once():
    seen = """import os, sqlite3
from django.conf import settings
from workbook import live_server
from workbook.checks import check, expect
server = live_server()
template = os.environ["WORKBOOK_DB_TEMPLATE"]
with check("the template is a copy in the run's own folder"):
    expect(os.path.dirname(template) == os.getcwd(), f"the template is {template}")
with check("the server's database is another file, migrated"):
    database = settings.DATABASES["default"]["NAME"]
    expect(database != template, "the server uses the template")
    tables = sqlite3.connect(database).execute("SELECT name FROM sqlite_master").fetchall()
    expect(("chat_message",) in tables, f"no chat_message table in {tables}")
"""
    run = runner.run(notebook_of(seen), "db.ipynb", runner.Limits(), use_sandbox=False)
    results = [result for done in run.done.values() for result in done["results"]]
    assert run.finished
    assert [result["passed"] for result in results] == [True, True], results
    assert runner.database_template() is not None


def test_an_unreadable_template_leaves_the_database_to_migrate(tmp_path, monkeypatch):
    from workbook import project

    database = tmp_path / "db.sqlite3"
    monkeypatch.setenv(project.TEMPLATE_ENV, str(tmp_path / "missing.sqlite3"))
    assert not project.copy_template(database)
    assert not database.exists()
    (tmp_path / "template.sqlite3").write_bytes(b"migrated")
    monkeypatch.setenv(project.TEMPLATE_ENV, str(tmp_path / "template.sqlite3"))
    assert project.copy_template(database)
    assert database.read_bytes() == b"migrated"


def test_the_grader_copies_the_template_its_environment_names(tmp_path, monkeypatch):
    from workbook import project

    (tmp_path / "template.sqlite3").write_bytes(b"migrated")
    monkeypatch.setenv(project.TEMPLATE_ENV, str(tmp_path / "template.sqlite3"))
    monkeypatch.setattr(runner, "_templates", [])
    assert runner.database_template() == b"migrated"


def test_graded_kernels_start_without_the_debugger():
    standard = ["/venv/bin/python", "-m", "ipykernel_launcher", "-f", "/run/kernel.json"]
    assert worker.without_debugger(standard) == [
        "/venv/bin/python",
        "-c",
        worker.LAUNCH_WITHOUT_DEBUGGER,
        "-f",
        "/run/kernel.json",
    ]
    other = ["/opt/kernel", "--connection", "/run/kernel.json"]
    assert worker.without_debugger(other) == other
    probe = """import sys
from workbook.checks import check, expect
with check("no debugger was imported"):
    expect(sys.modules.get("debugpy", "absent") is None, "debugpy was imported")
"""
    run = runner.run(notebook_of(probe), "debugger.ipynb", runner.Limits(), use_sandbox=False)
    results = [result for done in run.done.values() for result in done["results"]]
    assert run.finished
    assert [result["passed"] for result in results] == [True], results


@pytest.mark.parametrize(("free_gb", "jobs"), [(64, 8), (5, 2), (1, 1)])
def test_default_jobs_are_four_per_core_as_far_as_memory_allows(monkeypatch, free_gb, jobs):
    monkeypatch.setattr(grader, "cores", lambda: 2)
    free = types.SimpleNamespace(available=free_gb * 1024**3)
    monkeypatch.setattr(grader.psutil, "virtual_memory", lambda: free)
    assert grader.default_jobs(memory_mb=2048) == jobs
    assert grader.Options(limits=runner.Limits(memory_mb=256)).workers() == min(8, free_gb * 4)
    assert grader.Options(jobs=3).workers() == 3
