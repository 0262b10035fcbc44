"""Build the course website: every lesson with its stored outputs, the exercises, the guide.

    python -m tools.book             stage the pages and build build/book/html (make book)
    python -m tools.book --stage     only stage them in build/book/src

The site is Sphinx with MyST-NB and sphinx-book-theme (the stack of Jupyter Book 1), configured
by book/conf.py, with its settings (title, repository, launch links) in book/book.toml. It builds
and reads with no internet: the theme comes from PyPI, Mermaid from npm (tools.vendor), and
nothing is fetched from a CDN. Sphinx stops on any warning (a broken link, a missing picture).

Staging copies what the site shows into build/book/src with the repository's layout (so the
lessons' links and the launch links keep working), and adapts three things for the web:
the landing page is written from the lessons' titles and summaries (notebooks/index.ipynb's
job in JupyterLab), links to that index point at the landing page, and a diagram a cell printed
(a `text/vnd.mermaid` output) becomes a `<pre class="mermaid">` that the page draws.
"""

import argparse
import html
import os
import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass

import nbformat

from tools import nav, vendor

ROOT = nav.ROOT
CONFIG = ROOT / "book"
SETTINGS_FILE = CONFIG / "book.toml"
BUILD = ROOT / "build" / "book"
SOURCE = BUILD / "src"
HTML = BUILD / "html"
VENDORED = BUILD / "vendor"  # scripts copied from build/vendor for html_static_path
GUIDE = ROOT / "docs" / "instructor-guide"
MERMAID_MIME = "text/vnd.mermaid"
INTRO = """\
Real-time Django, one lesson at a time. You build a chat with rooms, history and @mentions, and
live per-user notifications, on Django Channels, ASGI and WebSockets. Each lesson is a Jupyter
notebook that starts a server inside its own kernel and talks to it with WebSocket clients from
its cells; this site shows every lesson with the outputs it had when it was last run, so you can
read the course here and run it in JupyterLab.\
"""


@dataclass(frozen=True)
class Settings:
    title: str
    github: str  # "owner/name", or "" when unknown
    branch: str
    binderhub: str
    jupyterhub: str
    codespaces: bool
    interface: str

    @property
    def repository_url(self):
        return f"https://github.com/{self.github}" if self.github else ""

    def codespaces_url(self):
        """A Codespace of the repository, when it is set up for one (.devcontainer exists)."""
        has_devcontainer = (ROOT / ".devcontainer" / "devcontainer.json").exists()
        if self.github and self.codespaces and has_devcontainer:
            return f"https://codespaces.new/{self.github}?quickstart=1"
        return ""

    def theme_options(self):
        """sphinx-book-theme's repository button, launch menu and header links."""
        if not self.github:
            return {}
        options = {
            "repository_url": self.repository_url,
            "repository_branch": self.branch,
            "path_to_docs": "",  # build/book/src mirrors the repository's layout
            "use_repository_button": True,
            "launch_buttons": {
                "notebook_interface": self.interface,
                "binderhub_url": self.binderhub,
                "jupyterhub_url": self.jupyterhub,
            },
        }
        if self.codespaces_url():
            options["icon_links"] = [
                {
                    "name": "Open in GitHub Codespaces",
                    "url": self.codespaces_url(),
                    "icon": "fa-solid fa-laptop-code",
                    "type": "fontawesome",
                }
            ]
        return options


def settings(path=SETTINGS_FILE, environ=os.environ):
    """book/book.toml, with the repository from $GITHUB_REPOSITORY when the file leaves it empty."""
    with open(path, "rb") as file:
        data = tomllib.load(file)
    repository, launch = data.get("repository", {}), data.get("launch", {})
    github = repository.get("github") or environ.get("GITHUB_REPOSITORY", "")
    if github and not re.fullmatch(r"[\w.-]+/[\w.-]+", github):
        raise SystemExit(
            f"{path.name}: repository.github must look like owner/name, not {github!r}"
        )
    return Settings(
        title=data.get("site", {}).get("title", "Channels Workbook"),
        github=github,
        branch=repository.get("branch", "main"),
        binderhub=launch.get("binderhub", ""),
        jupyterhub=launch.get("jupyterhub", ""),
        codespaces=bool(launch.get("codespaces", False)),
        interface=launch.get("interface", "jupyterlab"),
    )


def web_outputs(notebook):
    """Printed diagrams as HTML the page's Mermaid draws; the other outputs as they are."""
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if MERMAID_MIME in data:
                source = html.escape(data[MERMAID_MIME])
                output["data"] = {
                    "text/html": f'<pre class="mermaid">{source}</pre>',
                    "text/plain": data.get("text/plain", data[MERMAID_MIME]),
                }
    return notebook


def relink(notebook, old, new):
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            cell.source = cell.source.replace(f"]({old})", f"]({new})")
    return notebook


_LINK = re.compile(r"\[(?P<text>[^\]]+)\]\((?P<target>[^)\s#]+)(?P<anchor>#[^)\s]*)?\)")


def repository_links(text, path, staged, config):
    """Markdown whose links to files the site does not have point at the repository instead.

    `path` is the page's place in the repository, `staged` the repository paths the site has.
    Without a repository (no GitHub name set) such a link becomes its text and path, unlinked.
    """

    def replace(match):
        target = match["target"]
        if re.match(r"[a-z][a-z0-9+.-]*:", target):
            return match.group(0)  # https:, mailto: ...
        resolved = (path.parent / target).resolve()
        try:
            relative = resolved.relative_to(ROOT)
        except ValueError:
            return match.group(0)
        if relative in staged:
            return match.group(0)
        if config.github:
            url = f"{config.repository_url}/blob/{config.branch}/{relative.as_posix()}"
            return f"[{match['text']}]({url}{match['anchor'] or ''})"
        if match["text"].strip("`") == relative.as_posix():
            return f"`{relative.as_posix()}` (in the repository)"
        return f"{match['text']} (`{relative.as_posix()}` in the repository)"

    return _LINK.sub(replace, text)


def stage_notebook(path, target, index_link):
    notebook = nbformat.read(path, as_version=4)
    notebook = relink(web_outputs(notebook), index_link, "../index.md")
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, target)


def exercises():
    return sorted(nav.EXERCISES.glob("[0-9][0-9]-*.ipynb"))


def guide_pages():
    """The instructor's guide: its README first, then the lessons' pages in order."""
    pages = sorted(GUIDE.glob("*.md")) if GUIDE.is_dir() else []
    return sorted(pages, key=lambda page: (page.name != "README.md", page.name))


def landing_page(config):
    """index.md: what notebooks/index.ipynb says, with the site's navigation and run links."""
    lessons = nav.lessons()
    lines = [f"# {config.title}", "", INTRO, "", "## Lessons", ""]
    for path in lessons:
        title, summary = nav.title_and_summary(nbformat.read(path, as_version=4), path.name)
        lines.append(f"- [{title}](notebooks/{path.name}): {summary}")
    lines += ["", "## Exercises", ""]
    lines.append(
        "Each lesson from 02 on has an exercise with the same name. On this site you can read "
        "them; to do one, open it in JupyterLab (below) and run its check cells."
    )
    lines.append("")
    for path in exercises():
        title, _ = nav.title_and_summary(nbformat.read(path, as_version=4), path.name)
        lines.append(f"- [{title}](exercises/{path.name})")
    lines += ["", "## Running the lessons", ""]
    lines.append(
        "Reading shows each lesson with the outputs it had when it was last run. To run it "
        "yourself, clone the repository and run `make lab` (Python 3.11 or newer; it creates a "
        "virtual environment and opens JupyterLab on the lessons)."
    )
    if config.github:
        lines.append(
            f"The code is at <{config.repository_url}>. Every lesson page's launch menu (the "
            "rocket at the top) opens that lesson on a server instead."
        )
    if guide_pages():
        lines += ["", "## For instructors", ""]
        lines.append(
            "The [instructor's guide](docs/instructor-guide/README.md) has, for each lesson, its "
            "objectives, timings, where to break it, the mistakes learners make in its exercise "
            "and questions for discussion. In JupyterLab, every lesson also runs as a slideshow."
        )
    toctrees = [
        ("Lessons", [f"notebooks/{p.stem}" for p in lessons]),
        ("Exercises", [f"exercises/{p.stem}" for p in exercises()]),
        ("For instructors", [f"docs/instructor-guide/{p.stem}" for p in guide_pages()]),
    ]
    for caption, entries in toctrees:
        if entries:
            lines += ["", "```{toctree}", ":hidden:", f":caption: {caption}", "", *entries, "```"]
    return "\n".join(lines) + "\n"


def stage(config):
    """Copy and adapt everything the website shows into build/book/src."""
    if SOURCE.exists():
        shutil.rmtree(SOURCE)
    for path in nav.lessons():
        stage_notebook(path, SOURCE / "notebooks" / path.name, nav.INDEX.name)
    diagrams = nav.NOTEBOOKS / "diagrams"
    if diagrams.is_dir():
        shutil.copytree(diagrams, SOURCE / "notebooks" / "diagrams")
    for path in exercises():
        stage_notebook(path, SOURCE / "exercises" / path.name, f"../notebooks/{nav.INDEX.name}")
    staged = {p.relative_to(SOURCE) for p in SOURCE.rglob("*") if p.is_file()}
    staged |= {p.relative_to(ROOT) for p in guide_pages()}
    for path in guide_pages():
        target = SOURCE / path.relative_to(ROOT)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(repository_links(path.read_text(), path, staged, config))
    (SOURCE / "index.md").write_text(landing_page(config))
    if VENDORED.exists():
        shutil.rmtree(VENDORED)
    VENDORED.mkdir(parents=True)
    shutil.copy2(vendor.path("mermaid", "dist/mermaid.min.js"), VENDORED / "mermaid.min.js")
    shutil.copytree(vendor.path("mathjax", "es5"), VENDORED / "mathjax")
    return SOURCE


def build(config, jobs="auto"):
    stage(config)
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-c", str(CONFIG)]
    command += ["-W", "--keep-going", "-q", "-j", str(jobs), "-E", str(SOURCE), str(HTML)]
    result = subprocess.run(command, cwd=ROOT, timeout=1800, check=False)
    if result.returncode != 0:
        raise SystemExit(f"sphinx-build failed (exit {result.returncode}); see the warnings above")
    return HTML


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stage", action="store_true", help="only stage the pages")
    args = parser.parse_args(argv)
    try:
        config = settings()
        if args.stage:
            print(f"staged {stage(config).relative_to(ROOT)}")
        else:
            print(f"built {build(config).relative_to(ROOT)}/index.html")
    except vendor.VendorError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
