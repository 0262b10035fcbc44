"""Every lesson diagram drawn wherever people read: JupyterLab, GitHub and the course website.

    python -m tools.diagrams          draw the stale diagrams and update the lessons
    python -m tools.diagrams --check  exit 1, naming what is stale (a test runs this; no browser)

The one source of a diagram is the ```` ```mermaid ```` block an author writes in a lesson's
markdown cell. JupyterLab can draw such a block itself, but GitHub's notebook view shows it as
code, so this tool draws each block to `notebooks/diagrams/<lesson>-<n>.svg` with Mermaid (the
version JupyterLab uses, from npm: tools.vendor) in the system Chromium, and rewrites the block as

    ![Sequence diagram: A request, the WSGI way](diagrams/01-asgi-and-wsgi-1.svg)

    <details><summary>Diagram source (Mermaid)</summary>

    ```mermaid
    ...the block, unchanged...
    ```

    </details>

so JupyterLab, GitHub and the website all show the same picture once, and the source stays in
the cell to edit (opening "Diagram source" in JupyterLab draws it live). Each SVG records a hash
of its source and of the renderer's settings; `--check` compares them without a browser.
Alt text is the block's `accTitle:` if it has one, else the diagram kind and its section.
"""

import argparse
import hashlib
import json
import re
import sys
from dataclasses import dataclass

import nbformat

from tools import nav, vendor
from tools.markdown import fences, headings, plain

DIAGRAMS = nav.NOTEBOOKS / "diagrams"
LANGUAGE = "mermaid"
SUMMARY = "<details><summary>Diagram source (Mermaid)</summary>"
_IMAGE = re.compile(r"^!\[[^\]]*\]\(diagrams/[^)\s]+\.svg\)$")
_STAMP = re.compile(r"<!-- tools\.diagrams: source sha256 (?P<hash>[0-9a-f]{64}) -->")
# Labels as SVG text, not HTML inside <foreignObject>: an SVG shown as an <img> (GitHub, the
# website) draws no foreignObject in some viewers. securityLevel strict: no clicks, no scripts.
MERMAID_CONFIG = {
    "startOnLoad": False,
    "securityLevel": "strict",
    "theme": "default",
    "htmlLabels": False,
    "flowchart": {"htmlLabels": False},
}
KINDS = {"sequenceDiagram": "Sequence diagram", "flowchart": "Flowchart", "graph": "Flowchart"}


@dataclass(frozen=True)
class Diagram:
    lesson: str  # the lesson's file stem, e.g. 01-asgi-and-wsgi
    number: int  # 1, 2, ... in the lesson's order
    source: str  # the Mermaid text
    alt: str

    @property
    def name(self):
        return f"{self.lesson}-{self.number}.svg"

    @property
    def path(self):
        return DIAGRAMS / self.name

    @property
    def digest(self):
        settings = {"mermaid": vendor.PACKAGES["mermaid"].version, "config": MERMAID_CONFIG}
        text = json.dumps(settings, sort_keys=True) + "\n" + self.source
        return hashlib.sha256(text.encode()).hexdigest()

    def block(self):
        """The markdown that replaces the author's block (or our earlier rewrite of it)."""
        return [
            f"![{self.alt}](diagrams/{self.name})",
            "",
            SUMMARY,
            "",
            f"```{LANGUAGE}",
            *self.source.splitlines(),
            "```",
            "",
            "</details>",
        ]

    def is_fresh(self):
        if not self.path.exists():
            return False
        stamp = _STAMP.search(self.path.read_text(errors="replace")[:500])
        return bool(stamp) and stamp["hash"] == self.digest


def alt_text(source, section):
    """`accTitle: ...` from the source, else e.g. "Sequence diagram: Routing"."""
    for line in source.splitlines():
        if line.strip().startswith("accTitle:"):
            text = line.split(":", 1)[1].strip()
            break
    else:
        first = source.strip().split(maxsplit=1)[0] if source.strip() else ""
        text = f"{KINDS.get(first, 'Diagram')}: {section}"
    return re.sub(r"[\[\]\n]", " ", text).strip()


def _wrapped_span(lines, fence):
    """Lines [start, end) of the block, including our wrapper when it is already there."""
    start, end = fence.start, fence.end
    wrapped = (
        start >= 4
        and _IMAGE.match(lines[start - 4])
        and lines[start - 3] == ""
        and lines[start - 2] == SUMMARY
        and lines[start - 1] == ""
        and lines[end : end + 2] == ["", "</details>"]
    )
    return (start - 4, end + 2) if wrapped else (start, end)


def with_diagrams(notebook, lesson):
    """The notebook with every Mermaid block rewritten, and the diagrams it needs."""
    diagrams = []
    section = nav.title_and_summary(notebook, lesson)[0]
    for cell in notebook.cells:
        if cell.cell_type != "markdown":
            continue
        lines = cell.source.splitlines()
        blocks = [f for f in fences(cell.source) if f.info.split()[:1] == [LANGUAGE]]
        titles = headings(cell.source)
        out, position = [], 0
        for fence in blocks:
            above = [h for h in titles if h.line < fence.start]
            if above:
                section = plain(above[-1].text)
            diagram = Diagram(lesson, len(diagrams) + 1, fence.body, alt_text(fence.body, section))
            diagrams.append(diagram)
            start, end = _wrapped_span(lines, fence)
            out += [*lines[position:start], *diagram.block()]
            position = end
        if blocks:
            cell.source = "\n".join(out + lines[position:])
        if titles:
            section = plain(titles[-1].text)
    return notebook, diagrams


def planned():
    """{lesson path: text it should have}, and every diagram the lessons draw."""
    files, diagrams = {}, []
    for path in nav.lessons():
        notebook, found = with_diagrams(nbformat.read(path, as_version=4), path.stem)
        files[path] = nav.dumps(notebook)
        diagrams += found
    return files, diagrams


def stamped(svg, diagram):
    """Mermaid's SVG as a standalone file: a size of its own, a white page, the hash stamp."""
    box = re.search(r'viewBox="([-\d.]+) ([-\d.]+) ([\d.]+) ([\d.]+)"', svg)
    if not box:
        raise ValueError(f"{diagram.name}: Mermaid's SVG has no viewBox")
    width, height = (round(float(value)) for value in box.group(3, 4))
    root = re.match(r"<svg\b[^>]*>", svg)
    tag = re.sub(r'\s(?:width|height|style)="[^"]*"', "", root.group(0))
    tag = tag[:-1] + f' width="{width}" height="{height}" style="background-color: white;">'
    stamp = f"<!-- tools.diagrams: source sha256 {diagram.digest} -->"
    return f"{stamp}\n{tag}{svg[root.end() :]}\n"


def render(diagrams, browser=None):
    """Draw `diagrams` with Mermaid in Chromium; returns {diagram: svg text}.

    `browser` is a Playwright browser to use; without one, the system Chromium is started.
    """
    script = vendor.path("mermaid", "dist/mermaid.min.js")
    if browser is None:
        from playwright.sync_api import sync_playwright

        from workbook.browser import CHROMIUM_MISSING, chromium_args, find_chromium

        executable = find_chromium()
        if not executable:
            raise vendor.VendorError(CHROMIUM_MISSING)
        with sync_playwright() as playwright:
            chromium = playwright.chromium.launch(executable_path=executable, args=chromium_args())
            try:
                return render(diagrams, chromium)
            finally:
                chromium.close()
    items = [["diagram-" + diagram.path.stem, diagram.source] for diagram in diagrams]
    page = browser.new_page()
    try:
        page.set_default_timeout(120_000)
        page.set_content("<!doctype html><html><body></body></html>")
        page.add_script_tag(path=str(script))
        svgs = page.evaluate(
            """async ([config, items]) => {
                mermaid.initialize(config);
                const out = [];
                for (const [id, text] of items) {
                    try { out.push((await mermaid.render(id, text)).svg); }
                    catch (error) { out.push({error: String(error.message || error)}); }
                }
                return out;
            }""",
            [MERMAID_CONFIG, items],
        )
    finally:
        page.close()
    errors = [
        f"{d.name}: {svg['error']}"
        for d, svg in zip(diagrams, svgs, strict=True)
        if isinstance(svg, dict)
    ]
    if errors:
        raise ValueError("Mermaid could not draw:\n  " + "\n  ".join(errors))
    return {d: stamped(svg, d) for d, svg in zip(diagrams, svgs, strict=True)}


def problems():
    """What --check reports: lessons to rewrite, diagrams to draw, drawings nobody uses."""
    files, diagrams = planned()
    found = [
        f"{path.relative_to(nav.ROOT)}: its Mermaid blocks are not in the form this tool writes"
        for path, text in files.items()
        if path.read_text() != text
    ]
    found += [
        f"{d.path.relative_to(nav.ROOT)}: missing or stale" for d in diagrams if not d.is_fresh()
    ]
    wanted = {d.path for d in diagrams}
    found += [
        f"{p.relative_to(nav.ROOT)}: no lesson uses it"
        for p in sorted(DIAGRAMS.glob("*.svg"))
        if p not in wanted
    ]
    return found


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report what is stale, change nothing")
    args = parser.parse_args(argv)
    if args.check:
        found = problems()
        for problem in found:
            print(problem, file=sys.stderr)
        if found:
            print("run `python -m tools.diagrams`", file=sys.stderr)
        return 1 if found else 0
    files, diagrams = planned()
    stale = [d for d in diagrams if not d.is_fresh()]
    try:
        drawn = render(stale) if stale else {}
    except (vendor.VendorError, ValueError) as error:
        print(error, file=sys.stderr)
        return 1
    DIAGRAMS.mkdir(exist_ok=True)
    for diagram, svg in drawn.items():
        diagram.path.write_text(svg)
        print(f"drew {diagram.path.relative_to(nav.ROOT)}")
    for path, text in files.items():
        if path.read_text() != text:
            path.write_text(text)
            print(f"wrote {path.relative_to(nav.ROOT)}")
    wanted = {d.path for d in diagrams}
    for orphan in sorted(DIAGRAMS.glob("*.svg")):
        if orphan not in wanted:
            orphan.unlink()
            print(f"removed {orphan.relative_to(nav.ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
