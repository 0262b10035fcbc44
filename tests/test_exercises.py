"""Exercises are generated from solutions, pair with lessons, and every check can fail.

A check that passes when the learner has written nothing would tell a learner they are done, and
give a student points for nothing: every exercise is graded as generated and with each stub
replaced by `pass` (the learner who deleted the raise and wrote nothing), and every one of its
checks, hidden ones included, must fail with the check's own message. (The solutions passing,
hidden checks included, is `pytest --nbval-lax solutions/`, which `make test` runs.)
"""

from concurrent.futures import ThreadPoolExecutor

import nbformat
import pytest

from tools import exercises, nav
from tools.grading import exercise, grader, runner

SOLUTIONS = exercises.solutions()


def test_exercises_are_generated_from_the_solutions(capsys):
    assert exercises.main(["--check"]) == 0, capsys.readouterr().err


def test_every_lesson_from_02_on_has_an_exercise():
    lessons = {path.name for path in nav.lessons() if int(path.name[:2]) >= 2}
    assert lessons <= {path.name for path in SOLUTIONS}


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.name)
def test_solution_pairs_with_a_lesson_and_has_checks(solution):
    assert (nav.NOTEBOOKS / solution.name).exists(), f"no lesson named {solution.name}"
    notebook = nbformat.read(solution, as_version=4)
    assert len(exercises.check_cells(notebook)) >= 2, "at least two checks per exercise"
    assert any(exercises.has_solution(cell.source) for cell in notebook.cells)
    # A check cell without the tag would be neither counted by `make check` nor proven to fail.
    untagged = [
        index
        for index, cell in enumerate(notebook.cells)
        if "with check(" in cell.source and index not in exercises.check_cells(notebook)
    ]
    assert not untagged, f"cells {untagged} run check() without the {exercises.CHECK_TAG} tag"


# Limits far above what a check needs: a check that fails must fail by itself, not by a limit.
LIMITS = runner.Limits(cell=60, notebook=240)
NOT_THE_CHECKS_OWN = ("did not run", "timed out", "the kernel died", "the run was killed")


def test_every_check_fails_when_nothing_is_written():
    """Both empty answers of every exercise, graded side by side: no check may pass."""
    jobs = []
    for solution in SOLUTIONS:
        copy = exercise.load(solution, hidden=True)
        for stub in (exercises.raise_stub, exercises.pass_stub):
            written = exercises.exercise_from(solution, stub=stub)
            jobs.append((copy, stub.__name__, nbformat.writes(written).encode()))
    options = grader.Options(limits=LIMITS, jobs=6)
    with ThreadPoolExecutor(max_workers=options.jobs) as pool:
        results = pool.map(
            lambda job: (
                job[0],
                job[1],
                grader.grade_submission("nobody", job[0], job[2], options),
            ),
            jobs,
        )
        wrong = []
        for copy, stub, result in results:
            assert result.status == "graded", f"{copy.name} ({stub}): {result.reason}"
            for check in result.checks:
                if check.passed:
                    wrong.append(f"{copy.name} ({stub}): {check.name!r} passes")
                elif check.problem.startswith(NOT_THE_CHECKS_OWN):
                    wrong.append(f"{copy.name} ({stub}): {check.name!r}: {check.problem}")
    assert not wrong, "checks that do not fail by themselves on an empty answer:\n" + "\n".join(
        wrong
    )


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.name)
def test_checks_follow_the_authoring_rules(solution):
    """CONTRIBUTING.md, "Writing exercises": names, ids, tasks and points the grader relies on."""
    notebook = nbformat.read(solution, as_version=4)
    ids = [cell.id for cell in notebook.cells]
    assert len(set(ids)) == len(ids), "cell ids must be unique: the grader finds tasks by id"
    copy = exercise.load(solution, hidden=True)
    names = [check.name for check in copy.checks]
    assert len(set(names)) == len(names), "check names must be unique within an exercise"
    assert copy.tasks, "an exercise needs a task cell (a BEGIN SOLUTION block)"
    for task in copy.tasks:
        section = copy.sections[task]
        assert section.startswith("task "), f"task cell {task} is not under a '## Task N' heading"
        assert any(check.section == section for check in copy.checks), f"{section} has no check"
    assert all(check.points > 0 for check in copy.checks)
    for cell in notebook.cells:
        hidden = exercises.HIDDEN_TAG in exercises.tags(cell)
        assert not hidden or exercises.CHECK_TAG in exercises.tags(cell), "hidden, not a check"
        assert not hidden or not exercises.has_solution(cell.source), "a hidden task cell"


def test_hidden_checks_are_graded_but_never_handed_out():
    hidden = {
        check.name: solution
        for solution in SOLUTIONS
        for check in exercise.load(solution, hidden=True).checks
        if check.hidden
    }
    assert hidden, "the course shows at least one hidden check"
    for name, solution in hidden.items():
        handed_out = (exercises.EXERCISES / solution.name).read_text()
        assert name not in handed_out, f"{solution.name} hands out its hidden check {name!r}"


def test_exercises_carry_nbgrader_metadata_for_its_autograder():
    notebook = nbformat.read(exercises.EXERCISES / "02-first-consumer.ipynb", as_version=4)
    for cell in notebook.cells:
        tags = exercises.tags(cell)
        if cell.cell_type != "code":
            continue
        if exercises.TASK_TAG in tags:
            assert "nbgrader" not in cell.metadata
            continue
        meta = cell.metadata["nbgrader"]
        assert meta["locked"] is True
        assert meta["grade_id"] == cell.id
        assert meta["grade"] is (exercises.CHECK_TAG in tags)
        assert cell.metadata["editable"] is False


def test_stub_replaces_each_solution_block_at_its_indentation():
    source = "\n".join(
        [
            "def echo(text):",
            "    # BEGIN SOLUTION: return the text unchanged",
            "    return text",
            "    # END SOLUTION",
        ]
    )
    assert exercises.stub_source(source) == "\n".join(
        ["def echo(text):", '    raise NotImplementedError("return the text unchanged")']
    )


def test_stubs_are_written_as_ruff_format_writes_them():
    # Exercises are linted and format-checked with everything else (`make lint`).
    assert exercises.raise_stub("", 'send {"a": 1}') == [
        "raise NotImplementedError('send {\"a\": 1}')"
    ]
    hint = "x" * 80
    assert exercises.raise_stub("        ", hint) == [
        "        raise NotImplementedError(",
        f'            "{hint}"',
        "        )",
    ]


def test_stub_lines_give_the_broken_code_to_fix_with_the_hint_above_it():
    source = "\n".join(
        [
            "async def count():",
            "    # BEGIN SOLUTION: this sync call raises here; make it async",
            "    return await Message.objects.acount()",
            "    # STUB: return Message.objects.count()",
            "    # END SOLUTION",
        ]
    )
    assert exercises.stub_source(source) == "\n".join(
        [
            "async def count():",
            "    # this sync call raises here; make it async",
            "    return Message.objects.count()",
        ]
    )


@pytest.mark.parametrize(
    "source",
    ["# END SOLUTION", "# BEGIN SOLUTION\nx = 1", "# BEGIN SOLUTION\n# BEGIN SOLUTION\n"],
)
def test_unbalanced_markers_are_reported(source):
    with pytest.raises(exercises.MarkerError):
        exercises.stub_source(source)
