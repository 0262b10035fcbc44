"""The course website, built from the lessons and read in the system Chromium with no internet.

`make test-book` runs these (they build the whole site, about a minute); `make test` does not.
Every request a page makes is recorded: anything that leaves 127.0.0.1 fails the test, because
a reader offline (and CI) would see a missing script, font or picture.
"""

import functools
import http.server
import os
import re
import subprocess
import sys
import threading
from pathlib import Path
from unittest import mock
from urllib.parse import unquote, urljoin, urlparse

import nbformat
import pytest
from bs4 import BeautifulSoup

from tools import book, nav
from tools.markdown import fences

pytestmark = pytest.mark.book

TIMEOUT = 30_000  # ms; pages with many outputs are large
REPOSITORY = "example-org/channels-workbook"  # stands in for $GITHUB_REPOSITORY in Actions


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):
        pass


@pytest.fixture(scope="module")
def site(npm_packages):
    with mock.patch.dict(os.environ, {"GITHUB_REPOSITORY": REPOSITORY}):
        html = book.build(book.settings())
    handler = functools.partial(QuietHandler, directory=str(html))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield html, f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def page(browser, site):
    """A page whose every request is recorded in `page.requests`."""
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT)
    page = context.new_page()
    page.requests = []
    page.on("request", lambda request: page.requests.append(request.url))
    yield page
    context.close()


def assert_stayed_local(page, origin):
    outside = [
        url for url in page.requests if not url.startswith((origin, "data:", "blob:", "about:"))
    ]
    assert not outside, f"requests left 127.0.0.1: {outside}"


def lesson_facts(path):
    notebook = nbformat.read(path, as_version=4)
    drawn = sum(
        1
        for cell in notebook.cells
        if cell.cell_type == "markdown"
        for fence in fences(cell.source)
        if fence.info == "mermaid"
    )
    printed = sum(
        1
        for cell in notebook.cells
        for output in cell.get("outputs", [])
        if book.MERMAID_MIME in output.get("data", {})
    )
    title, _ = nav.title_and_summary(notebook, path.name)
    return title, drawn, printed


@pytest.mark.parametrize("path", nav.lessons(), ids=lambda p: p.stem)
def test_lesson_page_shows_its_outputs_diagrams_and_pictures(page, site, path):
    _, origin = site
    title, drawn, printed = lesson_facts(path)
    page.goto(urljoin(origin, f"notebooks/{path.stem}.html"))
    page.wait_for_load_state("load")
    assert page.locator("main h1").first.inner_text().rstrip("#¶ \n") == title
    code_cells = sum(c.cell_type == "code" for c in nbformat.read(path, as_version=4).cells)
    assert page.locator("main div.cell").count() == code_cells
    # Sphinx copies each diagram to _images/ under its own name, <lesson>-<n>.svg.
    assert page.locator(f'main img[src*="/{path.stem}-"][src$=".svg"]').count() == drawn
    if printed:
        page.wait_for_function(
            f"document.querySelectorAll('pre.mermaid svg').length === {printed}", timeout=TIMEOUT
        )
    broken = page.evaluate(
        "[...document.images].filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)"
    )
    assert broken == [], f"pictures that did not load: {broken}"
    assert_stayed_local(page, origin)


def test_search_finds_lessons_offline(page, site):
    _, origin = site
    page.goto(urljoin(origin, "search.html?q=AllowedHostsOriginValidator"))
    results = page.locator("#search-results ul.search li")
    results.first.wait_for(timeout=TIMEOUT)
    assert results.count() >= 2
    linked = page.locator("#search-results ul.search li a").first.get_attribute("href")
    assert "notebooks/" in linked
    assert_stayed_local(page, origin)


def test_landing_page_lists_every_lesson_and_exercise(page, site):
    _, origin = site
    page.goto(origin)
    for path in nav.lessons():
        assert page.locator(f'main a[href="notebooks/{path.stem}.html"]').count() >= 1
    for path in book.exercises():
        assert page.locator(f'main a[href="exercises/{path.stem}.html"]').count() >= 1
    assert page.locator("nav.bd-links a").count() >= len(nav.lessons()) + len(book.exercises())
    assert_stayed_local(page, origin)


def test_lesson_links_to_its_exercise_and_has_launch_links(site):
    html, _ = site
    lesson = next(p for p in nav.lessons() if (nav.EXERCISES / p.name).exists())
    soup = BeautifulSoup((html / "notebooks" / f"{lesson.stem}.html").read_text(), "html.parser")
    hrefs = [a.get("href", "") for a in soup.find_all("a")]
    assert f"../exercises/{lesson.stem}.html" in hrefs
    binder = (
        f"https://mybinder.org/v2/gh/{REPOSITORY}/main?urlpath=lab/tree/notebooks/{lesson.name}"
    )
    assert binder in hrefs
    assert f"https://github.com/{REPOSITORY}" in hrefs


def internal_links(html):
    """(page, link target, fragment) for every link and picture that stays on the site."""
    for page in sorted(html.rglob("*.html")):
        if "_static" in page.relative_to(html).parts:
            continue  # the theme's own template files, copied as they are
        soup = BeautifulSoup(page.read_text(), "html.parser")
        for tag, attribute in (("a", "href"), ("img", "src"), ("link", "href"), ("script", "src")):
            for element in soup.find_all(tag):
                url = element.get(attribute)
                if not url or urlparse(url).scheme or url.startswith("//"):
                    continue
                parts = urlparse(url)
                target = page if not parts.path else (page.parent / unquote(parts.path))
                yield page, target.resolve(), parts.fragment


def test_no_broken_internal_links(site):
    html, _ = site
    ids = {}
    broken = []
    for page, target, fragment in internal_links(html):
        if target.is_dir():
            target = target / "index.html"
        if not target.exists():
            broken.append(f"{page.relative_to(html)} -> {target}")
            continue
        if fragment and target.suffix == ".html":
            if target not in ids:
                ids[target] = set(re.findall(r'\bid="([^"]+)"', target.read_text()))
            if fragment not in ids[target]:
                broken.append(f"{page.relative_to(html)} -> {target.name}#{fragment}")
    assert broken == []


def test_math_is_typeset_from_the_site_not_a_cdn(browser, tmp_path, site):
    # No lesson has math today; this proves a page that gains some stays offline.
    source = tmp_path / "src"
    source.mkdir()
    (source / "index.md").write_text("# Math\n\n```{math}\ne^{i\\pi} + 1 = 0\n```\n")
    out = tmp_path / "html"
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-c", str(book.CONFIG), "-q"]
    subprocess.run([*command, str(source), str(out)], check=True, timeout=300, cwd=nav.ROOT)
    context = browser.new_context()
    page = context.new_page()
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    try:
        page.goto(Path(out / "index.html").as_uri())
        page.locator("mjx-container").first.wait_for(timeout=TIMEOUT)
        assert [url for url in requests if not url.startswith("file:")] == []
    finally:
        context.close()
