"""Every lesson presents as a slideshow: slide metadata written from the lesson's headings.

    python -m tools.slides          write the metadata (and split cells, see below)
    python -m tools.slides --check  exit 1, naming the lessons, if any is stale (a test runs this)

JupyterLab shows a lesson as slides with RISE (the jupyterlab-rise extension: the "Render as
slideshow" button, or Alt+R); `jupyter nbconvert --to slides` makes the same deck as HTML. Both
read each cell's `slideshow.slide_type`, which this tool owns, so nobody sets it by hand:

- the title (`# NN · ...`) and each `## section` start a slide;
- each `### subsection` starts a sub-slide (RISE: the down arrow);
- the link cells written by `tools.nav` are skipped;
- every other cell continues the slide it follows.

A slide can only start at a cell, so a markdown cell with a heading in its middle is split
before the heading (the text is unchanged; the new cell's id comes from the heading). The
notebook's `rise` metadata turns on scrolling, for sections longer than a screen.
Run it after `python -m tools.nav` whenever a lesson changes.
"""

import argparse
import itertools
import sys

import nbformat

from tools import nav
from tools.markdown import headings, slug

SLIDE, SUBSLIDE, CONTINUE, SKIP = "slide", "subslide", "-", "skip"
RISE_SETTINGS = {"scroll": True, "theme": "white"}
DEEPEST = 3  # headings below ### are part of their section's slide


def is_nav(cell):
    return nav.NAV_TAG in cell.get("metadata", {}).get("tags", [])


def section_starts(cell):
    """Line numbers where a slide or sub-slide should start inside a markdown cell."""
    if cell.cell_type != "markdown" or is_nav(cell):
        return []
    return [heading.line for heading in headings(cell.source, DEEPEST)]


def _unique_id(text, taken):
    base = ("h-" + slug(text))[:60].rstrip("-") or "h"
    candidate, number = base, 2
    while candidate in taken:
        candidate, number = f"{base}-{number}", number + 1
    taken.add(candidate)
    return candidate


def split_at_headings(cells):
    """The cells again, with every markdown cell cut so that each heading begins a cell."""
    taken = {cell.get("id") for cell in cells}
    result = []
    for cell in cells:
        lines = cell.source.splitlines()
        cuts = [n for n in section_starts(cell) if any(line.strip() for line in lines[:n])]
        if not cuts:
            result.append(cell)
            continue
        bounds = [0, *cuts, len(lines)]
        for number, (start, end) in enumerate(itertools.pairwise(bounds)):
            text = "\n".join(lines[start:end]).strip("\n")
            part = nbformat.v4.new_markdown_cell(text, metadata=dict(cell.metadata))
            part["id"] = cell["id"] if number == 0 else _unique_id(lines[start], taken)
            attachments = {
                name: data
                for name, data in cell.get("attachments", {}).items()
                if f"attachment:{name}" in text
            }
            if attachments:
                part["attachments"] = attachments
            result.append(part)
    return result


def slide_type(cell):
    if is_nav(cell):
        return SKIP
    starts = section_starts(cell)
    if starts and starts[0] == 0:
        level = headings(cell.source, DEEPEST)[0].level
        return SLIDE if level <= 2 else SUBSLIDE
    return CONTINUE


def with_slides(notebook):
    notebook.cells = split_at_headings(notebook.cells)
    for cell in notebook.cells:
        cell.metadata["slideshow"] = {"slide_type": slide_type(cell)}
    notebook.metadata["rise"] = dict(RISE_SETTINGS)
    return notebook


def planned():
    """Every lesson, with the text it should have."""
    return {
        path: nav.dumps(with_slides(nbformat.read(path, as_version=4))) for path in nav.lessons()
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report stale lessons, change nothing")
    args = parser.parse_args(argv)
    files = planned()
    stale = [path for path, text in files.items() if path.read_text() != text]
    if args.check:
        if stale:
            names = ", ".join(str(p.relative_to(nav.ROOT)) for p in stale)
            print(f"stale slide metadata: {names}; run `python -m tools.slides`", file=sys.stderr)
            return 1
        return 0
    for path in stale:
        path.write_text(files[path])
        print(f"wrote {path.relative_to(nav.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
