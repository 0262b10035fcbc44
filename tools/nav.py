"""Write the index notebook and the "< previous | contents | next >" links of every lesson.

    python -m tools.nav          rewrite notebooks/index.ipynb and each lesson's link cells
    python -m tools.nav --check  exit 1, naming the files, if anything is stale (a test runs this)

Nobody edits the links by hand: add or rename a lesson, then run this.
"""

import argparse
import re
import sys
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
EXERCISES = ROOT / "exercises"
INDEX = NOTEBOOKS / "index.ipynb"
NAV_TAG = "workbook-nav"
LESSON_NAME = re.compile(r"^(\d\d)-[a-z0-9-]+\.ipynb$")

INDEX_INTRO = """\
# Channels Workbook

Real-time Django, one lesson at a time. You will build a chat with rooms, history and @mentions,
and per-user live notifications, on Django Channels, ASGI and WebSockets. Every idea runs live:
each lesson starts a server inside this notebook's kernel and talks to it with WebSocket clients
from the cells.

**How to use it.** Open the lessons in order and run each one top to bottom (*Run > Run All
Cells*). Each lesson ends with a matching exercise in `exercises/` that checks your answer as
you go. The code you build is in `course_project/`, a normal Django project:
`make serve` runs it on http://127.0.0.1:8000.

## Lessons
"""


def lessons():
    return sorted(p for p in NOTEBOOKS.glob("*.ipynb") if LESSON_NAME.match(p.name))


def title_and_summary(notebook, name="the lesson"):
    """The lesson's `# ` heading and the first paragraph under it."""
    for cell in notebook.cells:
        if cell.cell_type == "markdown" and NAV_TAG not in cell.metadata.get("tags", []):
            lines = cell.source.strip().splitlines()
            if lines and lines[0].startswith("# "):
                summary = []
                for line in lines[1:]:
                    if not line.strip() and summary:
                        break
                    if line.strip():
                        summary.append(line.strip())
                return lines[0][2:].strip(), " ".join(summary)
    raise SystemExit(f"{name}: the first markdown cell must start with a '# ' title")


def link(path, text):
    return f"[{text}]({path})"


def nav_cells(position, paths, titles):
    """The link cell for the top and the bottom of lesson number `position`."""
    parts = []
    if position > 0:
        parts.append(link(paths[position - 1].name, f"< {titles[position - 1]}"))
    parts.append(link(INDEX.name, "Contents"))
    if position + 1 < len(paths):
        parts.append(link(paths[position + 1].name, f"{titles[position + 1]} >"))
    bar = " | ".join(parts)
    bottom = bar
    exercise = EXERCISES / paths[position].name
    if exercise.exists():
        practice = link(f"../exercises/{exercise.name}", "the exercise for this lesson")
        bottom = f"**Practice:** {practice}\n\n{bar}"
    return bar, bottom


def nav_cell(source):
    cell = nbformat.v4.new_markdown_cell(source)
    cell.metadata["tags"] = [NAV_TAG]
    # Links are for reading; a slideshow (tools.slides) leaves them out.
    cell.metadata["slideshow"] = {"slide_type": "skip"}
    cell.pop("id", None)
    return cell


def with_nav(notebook, top, bottom):
    body = [c for c in notebook.cells if NAV_TAG not in c.get("metadata", {}).get("tags", [])]
    cells = [nav_cell(top), *body, nav_cell(bottom)]
    # Keep ids stable so regenerating changes nothing when nothing moved.
    for number, cell in enumerate(cells):
        if NAV_TAG in cell.metadata.get("tags", []):
            cell["id"] = "nav-top" if number == 0 else "nav-bottom"
    notebook.cells = cells
    return notebook


def render_index(paths, titles, summaries):
    items = "\n".join(
        f"{number}. {link(path.name, title)}: {summary}"
        for number, (path, title, summary) in enumerate(zip(paths, titles, summaries, strict=True))
    )
    notebook = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_markdown_cell(INDEX_INTRO + "\n" + items + "\n")
    cell["id"] = "contents"
    notebook.cells = [cell]
    notebook.metadata = {
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    }
    return notebook


def dumps(notebook):
    return nbformat.writes(notebook, version=4) + "\n"


def planned():
    """Every file this script owns, with the text it should have."""
    paths = lessons()
    loaded = [nbformat.read(p, as_version=4) for p in paths]
    info = [title_and_summary(nb, p.name) for nb, p in zip(loaded, paths, strict=True)]
    titles = [title for title, _ in info]
    files = {INDEX: dumps(render_index(paths, titles, [s for _, s in info]))}
    for position, (path, notebook) in enumerate(zip(paths, loaded, strict=True)):
        top, bottom = nav_cells(position, paths, titles)
        files[path] = dumps(with_nav(notebook, top, bottom))
    return files


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report stale files, change nothing")
    args = parser.parse_args(argv)
    stale = [p for p, text in planned().items() if not p.exists() or p.read_text() != text]
    if args.check:
        if stale:
            names = ", ".join(str(p.relative_to(ROOT)) for p in stale)
            print(f"stale: {names}; run `python -m tools.nav`", file=sys.stderr)
            return 1
        return 0
    for path, text in planned().items():
        if path in stale:
            path.write_text(text)
            print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
