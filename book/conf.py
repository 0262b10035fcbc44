"""Sphinx configuration of the course website. Build it with `make book` (tools/book.py), which
stages the pages in build/book/src and runs Sphinx with this folder as its configuration.

Everything a page loads comes from this build: the theme's files from PyPI packages, Mermaid from
npm (tools/vendor.py). No page asks a CDN for anything; tests/book checks that in a browser.
"""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tools.book import VENDORED, settings  # noqa: E402

SETTINGS = settings()

project = SETTINGS.title
author = "Channels Workbook authors"
copyright = "the Channels Workbook authors"
root_doc = "index"
language = "en"

extensions = ["myst_nb"]
exclude_patterns = ["_build", "**.ipynb_checkpoints"]

# MyST-NB shows the outputs stored in each notebook and never runs one: the lessons are run
# and checked by `make test` (nbval), and a build must not need a server, Redis or a browser.
nb_execution_mode = "off"
# No widgets in the lessons: keep MyST-NB from adding require.js and the widget manager, which
# it would load from a CDN.
nb_ipywidgets_js = {}
myst_heading_anchors = 3
# The lessons have no math today; should one gain some, MathJax comes with the site, not a CDN.
mathjax_path = "mathjax/tex-chtml.js"
# The source under each diagram is a ```mermaid block: Pygments has no lexer for it.
suppress_warnings = ["misc.highlighting_failure"]

html_theme = "sphinx_book_theme"
html_title = SETTINGS.title
html_static_path = ["_static", str(VENDORED)]
html_css_files = ["course.css"]
html_last_updated_fmt = None
html_show_sourcelink = False
html_copy_source = True  # the theme's download button offers each page's .ipynb

html_theme_options = {
    "home_page_in_toc": True,
    "show_toc_level": 2,
    "use_download_button": True,
    "use_fullscreen_button": True,
    "navigation_with_keys": False,
    **SETTINGS.theme_options(),
}


def add_mermaid(app, pagename, templatename, context, doctree):
    """Load Mermaid only on pages that have a diagram to draw (a printed one)."""
    if 'class="mermaid"' in context.get("body", ""):
        app.add_js_file("mermaid.min.js")
        app.add_js_file("mermaid-init.js")


def setup(app):
    app.connect("html-page-context", add_mermaid)
