"""Exercises are generated from solutions, pair with lessons, and every check can fail.

A check that passes on the untouched exercise would tell a learner they are done when they have
written nothing: each exercise is run as generated, and every one of its checks must fail.
(The solutions passing is `pytest --nbval-lax solutions/`, which `make test` runs.)
"""

import nbformat
import pytest

from tools import exercises, grade, nav

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


@pytest.mark.parametrize("solution", SOLUTIONS, ids=lambda p: p.name)
def test_every_check_fails_on_the_untouched_exercise(solution):
    result = grade.run_notebook(exercises.EXERCISES / solution.name)
    assert result.total >= 2
    passing = [check.cell for check in result.checks if check.passed]
    assert not passing, f"check cells {passing} pass although nothing was written"
    for check in result.checks:
        assert "CheckFailed" in check.message, f"cell {check.cell}: not a helpful failure"


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
