"""Django 6.x checks, each in a virtualenv of its own made by nox.

`make test` checks everything on Django 5.2 LTS in .venv: the version the lessons' stored outputs
come from. These sessions check the same code on the newest Django 6.x, which needs Python 3.12
or newer, so they run on the newest of Python 3.13 and 3.12 found here (pyenv's included):

- project(django6), project(django5.2): course_project's tests, installed from its own
  requirements alone and run in its folder, as a learner who takes the project away runs them;
- lessons: the lessons in LESSONS under nbval, on Django 6.x.


    .venv/bin/nox                      # every session below: what `make test-django6` runs
    .venv/bin/nox -s lessons           # one session; `nox -l` lists them
    .venv/bin/nox -s project -- -x     # arguments after `--` go to pytest
    .venv/bin/nox --force-python 3.12  # another Python

Without such a Python each session is skipped with one line saying so; with CI set, nox fails
it instead (its default for `error_on_missing_interpreters`).
"""

import os
import shutil
import subprocess

import nox
from packaging.version import InvalidVersion, Version
from python_discovery import get_interpreter  # how nox itself finds interpreters

nox.options.sessions = ["project", "lessons"]
# uv (installed with nox, `nox[uv]`) makes and fills a virtualenv in seconds where pip takes a
# minute or more; virtualenv and pip are the fallback. Either way the packages come from PyPI.
nox.options.default_venv_backend = "uv|virtualenv"
# A second run reuses the environments and only installs what changed.
nox.options.reuse_venv = "yes"
# Python builds are never downloaded: they come from this machine (PATH, pyenv), or not at all.
nox.options.download_python = "never"

IN_CI = os.environ.get("CI", "").lower() == "true"

#: Django 6.x runs on Python 3.12+; the first found, newest first, runs the sessions.
PYTHONS = ("3.13", "3.12")

#: The Django lines, each a pip constraints file (the 5.2 one is what `make` installs).
DJANGO = {"django6": "constraints-django6.txt", "django5.2": "constraints.txt"}

#: Lessons that lean on Django itself, where a new Django could change what they show:
#: 00 the version check and the project's migrations; 03 settings, the app registry and
#: AuthMiddlewareStack; 06 the async ORM; 07 sessions and auth; 08 views, signals and a
#: management command; 09 a worker next to Django's tasks framework; 11 pytest-django and
#: database access in async tests; 12 CSRF, session cookies and templates; 16 `check --deploy`,
#: collectstatic and production settings; 17 conditional updates with the async ORM. The others
#: are about Channels, asyncio and Redis, which Django does not change: `make test` covers them.
LESSONS = {
    "00-start-here": None,
    "03-routing": None,
    "06-persistence": None,
    "07-authentication": None,
    "08-notifications": None,
    "09-background-work": "redis",
    "11-testing": "chromium",
    "12-security": "chromium",
    "16-deployment": "redis",
    "17-capstone": None,
}

#: The same bounds as in requirements-test.txt.
XDIST = "pytest-xdist>=3.6,<4"

NBVAL = [
    "--dist=loadscope",  # one notebook's cells stay on one worker
    "--nbval",
    "--nbval-current-env",
    "--nbval-sanitize-with=tests/sanitize.cfg",
    "--nbval-cell-timeout=120",
]

#: Django's own deprecation warnings fail the project's tests: the project is what learners
#: deploy, and each of these names an API a coming Django removes. (Other libraries' deprecations
#: are reported in pytest's summary, not failed on.)
DJANGO_DEPRECATIONS_FAIL = [
    "-W",
    "error::django.utils.deprecation.RemovedInNextVersionWarning",
    "-W",
    "error::django.utils.deprecation.RemovedAfterNextVersionWarning",
]


def _pyenv_versions():
    """Every Python pyenv has installed, newest first (none without pyenv)."""
    if shutil.which("pyenv") is None:
        return []
    listed = subprocess.run(
        ["pyenv", "versions", "--bare", "--skip-aliases"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    ).stdout.split()

    def newest_first(name):
        try:
            return (0, -Version(name).major, -Version(name).minor, -Version(name).micro)
        except InvalidVersion:  # pypy3.10-7.3, miniconda3-latest, ...: after the CPythons
            return (1, 0, 0, 0)

    return sorted((name for name in listed if "/" not in name), key=newest_first)


def _let_discovery_see_pyenv():
    """Make every pyenv Python findable by its version number.

    pyenv's `python3.13` shim answers "command not found" unless 3.13 is an *active* version,
    and nox (python-discovery) resolves shims through the active versions only. Listing every
    installed version in PYENV_VERSION, pyenv's own way to activate several, fixes that; the
    versions already active stay first.
    """
    active = [v for v in os.environ.get("PYENV_VERSION", "").split(":") if v]
    versions = active + [v for v in _pyenv_versions() if v not in active]
    if versions:
        os.environ["PYENV_VERSION"] = ":".join(versions)


def _session_python():
    """The newest of PYTHONS found here; if none is, a range nox reports as not found."""
    for version in PYTHONS:
        if get_interpreter(version) is not None:
            return version
    return f">={PYTHONS[-1]}"  # "Session lessons skipped: Python interpreter >=3.12 not found."


_let_discovery_see_pyenv()
PYTHON = _session_python()


def _install(session, constraints, *requirements):
    session.install(
        "--quiet",
        *("-c", constraints, *requirements),
        # pip compiles every module to bytecode as it installs; uv only when asked. Without it,
        # and with PYTHONDONTWRITEBYTECODE set (as on these machines), every process a lesson
        # starts parses Django from source: three times slower, and past the start-up timeouts
        # of lesson 16's servers on a loaded machine.
        env={"UV_COMPILE_BYTECODE": "1"},
    )
    session.run("python", "-m", "django", "--version")


@nox.session(python=PYTHON)
@nox.parametrize("django", list(DJANGO), ids=list(DJANGO))
def project(session, django):
    """course_project's tests, with nothing but its own requirements, as a learner runs them."""
    # pytest-xdist only spreads the tests over two workers, as `make test` does; it adds nothing
    # the project could import by mistake.
    _install(session, DJANGO[django], "-r", "course_project/requirements-test.txt", XDIST)
    session.chdir("course_project")
    session.run("python", "-m", "pytest", "-n", "2", *DJANGO_DEPRECATIONS_FAIL, *session.posargs)


def _missing(session):
    """What this machine lacks among the lessons' needs: {"redis": why, "chromium": why}."""
    probe = (
        "from workbook.browser import CHROMIUM_MISSING, find_chromium\n"
        "from workbook.processes import REDIS_MISSING, find_redis_server\n"
        "if find_redis_server() is None: print('redis', REDIS_MISSING, sep='\\t')\n"
        "if find_chromium() is None: print('chromium', CHROMIUM_MISSING, sep='\\t')\n"
    )
    output = session.run("python", "-c", probe, silent=True) or ""
    return dict(line.split("\t", 1) for line in output.splitlines() if "\t" in line)


@nox.session(python=PYTHON)
def lessons(session):
    """The lessons in LESSONS under nbval, on the newest Django 6.x."""
    _install(session, DJANGO["django6"], "-r", "requirements-test.txt", "-e", ".")
    missing = _missing(session)
    chosen = []
    for lesson, needs in LESSONS.items():
        if needs in missing:
            message = f"lesson {lesson} needs {needs}: {missing[needs]}"
            if IN_CI:
                session.error(f"CI=true, so this cannot be skipped: {message}")
            session.warn(f"left out {message}")
        else:
            chosen.append(f"notebooks/{lesson}.ipynb")
    session.run("python", "-m", "pytest", "-n", "2", *NBVAL, *chosen, *session.posargs)
