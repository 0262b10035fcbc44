"""The diagrams as drawn by Mermaid in Chromium, and as a static notebook viewer shows them.

There is no GitHub here, so the second test stands in for its notebook view: nbconvert's HTML
(what nbviewer shows, the closest renderer to GitHub's) of a lesson, opened from a folder laid
out like the repository, must show each diagram once as a picture that loads, with its Mermaid
source folded away. `make test-book` runs these; `make test` checks the drawings' hashes.
"""

import re
import shutil

import nbformat
import pytest
from nbconvert import HTMLExporter

from tools import diagrams, nav

pytestmark = pytest.mark.book


def test_mermaid_draws_a_lesson_diagram_as_a_standalone_svg(browser, npm_packages):
    _, found = diagrams.planned()
    diagram = next(d for d in found if d.source.lstrip().startswith("sequenceDiagram"))
    (svg,) = diagrams.render([diagram], browser).values()
    assert svg.startswith(f"<!-- tools.diagrams: source sha256 {diagram.digest} -->\n<svg ")
    assert re.search(r'<svg [^>]*width="\d+" height="\d+"', svg)
    assert "<foreignObject" not in svg  # labels are SVG text: they show inside an <img>
    participant = re.search(r"participant \w+ as (.+)", diagram.source)[1].strip()
    assert f">{participant}<" in svg


def test_a_static_notebook_view_shows_each_diagram_once(browser, tmp_path):
    lesson = nav.lessons()[1]
    notebook = nbformat.read(lesson, as_version=4)
    _, expected = diagrams.with_diagrams(notebook, lesson.stem)
    body, _ = HTMLExporter(template_name="classic").from_notebook_node(notebook)
    folder = tmp_path / "notebooks"
    shutil.copytree(diagrams.DIAGRAMS, folder / "diagrams")
    page_file = folder / f"{lesson.stem}.html"
    page_file.write_text(body)
    context = browser.new_context()
    # Like GitHub's view, no scripts from elsewhere: a Mermaid script from a CDN must not help.
    context.route(re.compile(r"^https?://"), lambda route: route.abort())
    page = context.new_page()
    try:
        page.goto(page_file.as_uri())
        pictures = page.locator('img[src^="diagrams/"]')
        assert pictures.count() == len(expected)
        widths = pictures.evaluate_all("images => images.map(i => i.naturalWidth)")
        assert all(width > 0 for width in widths), widths
        assert page.locator("details").count() == len(expected)
        assert page.locator("details[open]").count() == 0
    finally:
        context.close()
