"""Every lesson is a slideshow: one slide per section, written by tools.slides, never by hand.

`make test` exports one lesson with nbconvert; `make test-book` (marker `book`) exports all of
them and opens one in JupyterLab's RISE slideshow in the system Chromium.
"""

import os
import sys

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbconvert import SlidesExporter

from tools import nav, slides
from tools.markdown import headings, plain
from workbook.processes import ManagedProcess

QUICK = 2  # the lesson `make test` exports


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


@pytest.mark.parametrize(
    "path",
    [
        pytest.param(path, marks=() if number == QUICK else pytest.mark.book)
        for number, path in enumerate(nav.lessons())
    ],
    ids=lambda p: p.stem,
)
def test_nbconvert_makes_one_slide_per_section(path):
    notebook = nbformat.read(path, as_version=4)
    deck = exported_deck(notebook)
    assert deck == deck_headings(notebook)
    assert len(deck) > 3


@pytest.fixture(scope="module")
def jupyterlab(tmp_path_factory):
    """JupyterLab on a free port, serving the repository, with the RISE extension."""
    command = [sys.executable, "-m", "jupyterlab", "--no-browser", "--allow-root", "--port=0"]
    command += [
        "--ip=127.0.0.1",
        "--IdentityProvider.token=slides",
        f"--ServerApp.root_dir={nav.ROOT}",
    ]
    env_dir = tmp_path_factory.mktemp("jupyter")
    # Its runtime files and workspaces go to a temporary folder, not the home directory.
    env = {
        **os.environ,
        "JUPYTER_RUNTIME_DIR": str(env_dir),
        "JUPYTERLAB_WORKSPACES_DIR": str(env_dir),
    }
    lab = ManagedProcess(
        command, ready=r"http://127\.0\.0\.1:(\d+)/lab", env=env, name="jupyterlab"
    )
    with lab.start(timeout=60):
        yield f"http://127.0.0.1:{lab.ready_match[1]}"


@pytest.mark.book
def test_rise_shows_a_lesson_as_one_slide_per_section(browser, jupyterlab):
    path = nav.lessons()[5]
    deck = deck_headings(nbformat.read(path, as_version=4))
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    try:
        page.goto(f"{jupyterlab}/rise/notebooks/{path.name}?token=slides", timeout=60_000)
        slides_shown = page.locator(".reveal .slides > section")
        slides_shown.first.wait_for(timeout=60_000)
        assert slides_shown.count() == len(deck)
        assert page.locator(".reveal .slides > section > section").count() == sum(map(len, deck))
        assert [url for url in requests if not url.startswith(jupyterlab)] == []
    finally:
        context.close()


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
