"""The instructor's guide covers every lesson, and its numbers come from the notebooks."""

import nbformat
import pytest

from tools import guide, nav


def test_guide_pages_and_tables_are_up_to_date(capsys):
    assert guide.main(["--check"]) == 0, capsys.readouterr().err


@pytest.mark.parametrize("path", nav.lessons(), ids=lambda p: p.stem)
def test_every_lesson_has_a_guide_page_with_its_facts(path):
    lesson = guide.read_lesson(path)
    text = lesson.page.read_text()
    assert f"| Minutes to teach (estimate) | {guide.rounded(lesson.minutes)} |" in text
    assert lesson.run_seconds is not None, f"{path.name}: run it with nbconvert --execute"
    assert lesson.sections[0].title == guide.INTRODUCTION
    assert len(lesson.sections) > 3


def lesson_notebook(*cells):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell("# 01 · Title\n\nWhat you build.")]
    notebook.cells += list(cells)
    return notebook


def section(title, minutes_of_code):
    """A `## title` section whose code cells make about `minutes_of_code` minutes."""
    cells = [nbformat.v4.new_markdown_cell(f"## {title}")]
    cells += [nbformat.v4.new_code_cell("x = 1") for _ in range(minutes_of_code)]
    return cells


def read(tmp_path, notebook):
    path = tmp_path / "01-title.ipynb"
    nbformat.write(notebook, path)
    return guide.read_lesson(path)


def test_a_long_lesson_is_split_where_the_parts_are_most_even(tmp_path):
    # About 80 minutes: two classes; the evenest cut is before C (38 and 43 minutes).
    cells = [*section("A", 25), *section("B", 10), *section("C", 20), *section("D", 20)]
    lesson = read(tmp_path, lesson_notebook(*cells))
    parts = guide.parts(lesson)
    assert [(first.title, last.title) for first, last, _ in parts] == [
        ("Introduction", "B"),
        ("C", "D"),
    ]


def test_a_lesson_that_marks_its_break_is_split_there(tmp_path):
    cells = [*section("A", 25), *section("B", 10), *section("C", 20), *section("D", 20)]
    d_heading = next(cell for cell in cells if cell.source == "## D")
    d_heading.metadata["tags"] = [guide.BREAK_TAG]
    lesson = read(tmp_path, lesson_notebook(*cells))
    assert [first.title for first, _, _ in guide.parts(lesson)] == ["Introduction", "D"]


def test_a_short_lesson_is_one_class(tmp_path):
    lesson = read(tmp_path, lesson_notebook(*section("A", 5)))
    assert len(guide.parts(lesson)) == 1
    assert "one class" in guide.sections_block(lesson)


def test_run_time_is_read_from_the_cells_timings(tmp_path):
    cell = nbformat.v4.new_code_cell("x = 1")
    cell.metadata["execution"] = {
        "iopub.execute_input": "2026-01-01T10:00:00.000000Z",
        "shell.execute_reply": "2026-01-01T10:00:02.500000Z",
    }
    assert read(tmp_path, lesson_notebook(cell)).run_seconds == 2.5
    untimed = read(tmp_path, lesson_notebook(nbformat.v4.new_code_cell("x = 1")))
    assert untimed.run_seconds is None
    assert "not recorded" in guide.run_time(untimed.run_seconds)


def test_minutes_are_planned_in_fives():
    assert [guide.rounded(m) for m in (0.4, 7.4, 7.6, 52)] == [5, 5, 10, 50]


def test_a_page_missing_a_section_or_naming_a_gone_section_is_reported(tmp_path, monkeypatch):
    monkeypatch.setattr(guide, "GUIDE", tmp_path)
    lesson = read(tmp_path, lesson_notebook(*section("Real part", 2)))
    text = (
        "# 01\n\n## Objectives\n\n## What it assumes\n\n## Timing and where to break\n\n"
        'Break after "Real part", not after "Imagined part".\n\n## Discussion questions\n'
    )
    assert guide.problems_of_page(lesson, text) == [
        f'{lesson.page}: "Imagined part" is not a section of 01-title.ipynb any more'
    ]
    assert guide.problems_of_page(lesson, "# 01\n") == [
        f"{lesson.page}: no '## {heading}' section" for heading in guide.REQUIRED
    ]


def test_generated_blocks_are_filled_and_a_missing_one_is_named():
    text = "intro\n<!-- tools.guide: facts -->\nold\n<!-- /tools.guide -->\nend\n"
    assert guide.fill(text, {"facts": "new\n"}, "page.md") == text.replace("old", "new")
    with pytest.raises(ValueError, match=r"tools\.guide: sections"):
        guide.fill(text, {"facts": "new\n", "sections": "x\n"}, "page.md")
