"""Every lesson is a slideshow: one slide per section, written by tools.slides, never by hand."""

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbconvert import SlidesExporter

from tools import nav, slides
from tools.markdown import headings, plain


def deck_headings(notebook):
    """What a deck should show: for each slide, its heading and its sub-slides' headings."""
    deck = []
    for cell in notebook.cells:
        if cell.cell_type != "markdown" or slides.is_nav(cell):
            continue
        for heading in headings(cell.source, slides.DEEPEST):
            if heading.level <= 2:
                deck.append([plain(heading.text)])
            else:
                deck[-1].append(plain(heading.text))
    return deck


def exported_deck(notebook):
    """The same, read from `jupyter nbconvert --to slides`: the first heading of each section."""
    body, _ = SlidesExporter().from_notebook_node(notebook)
    soup = BeautifulSoup(body, "html.parser")
    deck = []
    for slide in soup.select("div.reveal > div.slides > section"):
        deck.append(
            [
                plain(section.find(["h1", "h2", "h3"]).get_text().rstrip("¶"))
                for section in slide.find_all("section", recursive=False)
            ]
        )
    return deck


def test_slide_metadata_is_up_to_date(capsys):
    assert slides.main(["--check"]) == 0, capsys.readouterr().err


def test_nbconvert_makes_one_slide_per_section():
    # One lesson here keeps `make test` quick; `make test-book` exports every lesson.
    notebook = nbformat.read(nav.lessons()[2], as_version=4)
    deck = exported_deck(notebook)
    assert deck == deck_headings(notebook)
    assert len(deck) > 3


def markdown(source, **metadata):
    cell = nbformat.v4.new_markdown_cell(source, metadata=metadata)
    cell["id"] = "c1"
    return cell


def lesson(*cells):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = list(cells)
    return notebook


def test_a_heading_inside_a_cell_starts_a_new_cell_with_the_same_text():
    source = "Some text.\n\n## Next part\n\nMore text.\n\n### Detail\nEnd."
    notebook = slides.with_slides(lesson(markdown(source)))
    assert [cell.source for cell in notebook.cells] == [
        "Some text.",
        "## Next part\n\nMore text.",
        "### Detail\nEnd.",
    ]
    assert [cell.id for cell in notebook.cells] == ["c1", "h-next-part", "h-detail"]
    types = [cell.metadata.slideshow.slide_type for cell in notebook.cells]
    assert types == ["-", "slide", "subslide"]


def test_a_hash_line_in_a_code_fence_is_not_a_heading():
    source = "## Shell\n\n```bash\n# not a heading\nls\n```\nAfter."
    notebook = slides.with_slides(lesson(markdown(source)))
    assert [cell.source for cell in notebook.cells] == [source]


def test_writing_slides_twice_changes_nothing():
    once = slides.with_slides(lesson(markdown("# 01 · Title\n\nIntro.\n## A\nText.")))
    text = nav.dumps(once)
    assert nav.dumps(slides.with_slides(nbformat.reads(text, as_version=4))) == text


def test_navigation_links_are_skipped():
    link = markdown("[Contents](index.ipynb)", tags=[nav.NAV_TAG])
    code = nbformat.v4.new_code_cell("1 + 1")
    notebook = slides.with_slides(lesson(link, code))
    assert [cell.metadata.slideshow.slide_type for cell in notebook.cells] == ["skip", "-"]
    assert notebook.metadata.rise["scroll"] is True


@pytest.mark.parametrize("path", nav.lessons(), ids=lambda p: p.name)
def test_every_lesson_opens_with_a_title_slide(path):
    notebook = nbformat.read(path, as_version=4)
    shown = [c for c in notebook.cells if c.metadata.slideshow.slide_type != "skip"]
    assert shown[0].metadata.slideshow.slide_type == "slide"
    assert shown[0].source.startswith(f"# {path.name[:2]}")
