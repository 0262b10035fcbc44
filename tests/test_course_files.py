"""The generated parts of the course are up to date, and the lessons keep their shape."""

import nbformat
import pytest

from tools import nav

LESSONS = nav.lessons()


def test_index_and_navigation_links_are_up_to_date(capsys):
    assert nav.main(["--check"]) == 0, capsys.readouterr().err


def test_there_are_lessons():
    assert len(LESSONS) >= 9


@pytest.mark.parametrize("path", LESSONS, ids=lambda p: p.name)
def test_lesson_is_numbered_titled_and_has_stored_outputs(path):
    notebook = nbformat.read(path, as_version=4)
    title, summary = nav.title_and_summary(notebook)
    assert title.startswith(path.name[:2]), f"{path.name}: title should start with its number"
    assert summary, f"{path.name}: say what the lesson builds under its title"
    code = [cell for cell in notebook.cells if cell.cell_type == "code"]
    assert code, f"{path.name}: a lesson runs live code"
    assert all(cell.execution_count for cell in code), f"{path.name}: run it and save outputs"
    text = "\n".join(cell.source for cell in notebook.cells)
    assert "TODO" not in text, f"{path.name}: unfinished text"
