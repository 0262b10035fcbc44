"""Every Mermaid block in a lesson has an up-to-date drawing that GitHub and the website show."""

import nbformat
import pytest

from tools import diagrams, nav

SOURCE = "sequenceDiagram\n    A->>B: hello"


def lesson(*sources):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell("# 01 · Title\n\nWhat you build.")]
    notebook.cells += [nbformat.v4.new_markdown_cell(source) for source in sources]
    return notebook


def test_drawings_and_lessons_are_up_to_date(capsys):
    assert diagrams.main(["--check"]) == 0, capsys.readouterr().err


def test_every_lesson_diagram_has_a_drawing_with_its_hash():
    _, found = diagrams.planned()
    assert len(found) >= len(nav.lessons())
    for diagram in found:
        text = diagram.path.read_text()
        assert text.startswith(f"<!-- tools.diagrams: source sha256 {diagram.digest} -->")
        assert '<svg id="diagram-' in text


def test_a_block_becomes_picture_then_source():
    notebook, found = diagrams.with_diagrams(
        lesson(f"## Routing\n\nText.\n\n```mermaid\n{SOURCE}\n```\n\nAfter."), "01-title"
    )
    assert [d.name for d in found] == ["01-title-1.svg"]
    assert found[0].alt == "Sequence diagram: Routing"
    source = notebook.cells[1].source
    assert source.startswith(
        "## Routing\n\nText.\n\n![Sequence diagram: Routing](diagrams/01-title-1.svg)"
    )
    details = f"{diagrams.SUMMARY}\n\n```mermaid\n{SOURCE}\n```\n\n</details>"
    assert details in source
    assert source.endswith("</details>\n\nAfter.")


def test_rewriting_twice_changes_nothing():
    once, _ = diagrams.with_diagrams(lesson(f"```mermaid\n{SOURCE}\n```"), "01-title")
    text = nav.dumps(once)
    twice, _ = diagrams.with_diagrams(nbformat.reads(text, as_version=4), "01-title")
    assert nav.dumps(twice) == text


def test_an_edited_block_needs_a_new_drawing(tmp_path, monkeypatch):
    monkeypatch.setattr(diagrams, "DIAGRAMS", tmp_path)
    _, (old,) = diagrams.with_diagrams(lesson(f"```mermaid\n{SOURCE}\n```"), "01-title")
    (tmp_path / old.name).write_text(diagrams.stamped('<svg viewBox="0 0 10 20"></svg>', old))
    assert old.is_fresh()
    edited = lesson(f"```mermaid\n{SOURCE}\n    B->>A: hi\n```")
    _, (new,) = diagrams.with_diagrams(edited, "01-title")
    assert new.name == old.name
    assert not new.is_fresh()


def test_alt_text_comes_from_acc_title_when_given():
    source = "flowchart LR\n    accTitle: How a [frame] travels\n    A --> B"
    assert diagrams.alt_text(source, "Section") == "How a  frame  travels"
    assert diagrams.alt_text("flowchart LR\n A-->B", "Section") == "Flowchart: Section"


def test_a_drawing_gets_a_size_and_a_white_page():
    _, (diagram,) = diagrams.with_diagrams(lesson(f"```mermaid\n{SOURCE}\n```"), "01-title")
    svg = diagrams.stamped(
        '<svg id="x" width="100%" style="max-width: 52px;" viewBox="-8 -4 52.4 30"><g/></svg>',
        diagram,
    )
    assert '<svg id="x" viewBox="-8 -4 52.4 30" width="52" height="30"' in svg
    assert 'style="background-color: white;"><g/></svg>' in svg
    with pytest.raises(ValueError, match="viewBox"):
        diagrams.stamped("<svg></svg>", diagram)
