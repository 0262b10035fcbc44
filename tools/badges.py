"""The README's launch badges: Open in GitHub Codespaces, and launch Binder.

    python -m tools.badges          write them into README.md, between its badge markers
    python -m tools.badges --check  exit 1 if README.md's badges are stale (a test runs this)

They link the repository that book/book.toml names ([repository] github and branch, with
[launch] binderhub): the same setting as the website's launch links, so one line says where the
course lives. Until it names one, the README says where to find both instead of showing badges
that would lead nowhere.
"""

import argparse
import re
import sys

from tools import book, nav

README = nav.ROOT / "README.md"
START = "<!-- launch badges: written by `python -m tools.badges` from book/book.toml -->"
END = "<!-- end of launch badges -->"
BLOCK = re.compile(re.escape(START) + r"\n.*?" + re.escape(END), re.DOTALL)
FIRST_NOTEBOOK = "notebooks/index.ipynb"

CODESPACES_BADGE = "https://github.com/codespaces/badge.svg"
BINDER_BADGE = "https://mybinder.org/badge_logo.svg"
NO_REPOSITORY = (
    "Run it in the cloud, with nothing to install: in a GitHub Codespace (**Code ▸ Codespaces** "
    "on the repository's page), or on Binder. See [Where classes run](#where-classes-run)."
)


def badges(settings):
    """The Markdown between the markers, for these website settings (tools.book.Settings)."""
    if not settings.github:
        return NO_REPOSITORY
    lines = []
    codespaces = settings.codespaces_url()
    if codespaces:
        lines.append(f"[![Open in GitHub Codespaces]({CODESPACES_BADGE})]({codespaces})")
    if settings.binderhub:
        binder = (
            f"{settings.binderhub.rstrip('/')}/v2/gh/{settings.github}/{settings.branch}"
            f"?urlpath=lab/tree/{FIRST_NOTEBOOK}"
        )
        lines.append(f"[![launch Binder]({BINDER_BADGE})]({binder})")
    return "\n".join(lines) or NO_REPOSITORY


def planned(text, settings):
    if not BLOCK.search(text):
        raise SystemExit(f"README.md has no launch badge block: put the two lines\n{START}\n{END}")
    return BLOCK.sub(lambda _: f"{START}\n{badges(settings)}\n{END}", text, count=1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="report a stale README only")
    args = parser.parse_args(argv)
    # Only the file decides: the badges a repository shows must not depend on who regenerates it.
    text = README.read_text()
    wanted = planned(text, book.settings(environ={}))
    if text == wanted:
        return 0
    if args.check:
        print("stale launch badges in README.md; run `python -m tools.badges`", file=sys.stderr)
        return 1
    README.write_text(wanted)
    print("wrote README.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
