"""course_project in this process: importing its modules, and setting Django up for it.

There is one way course_project's modules (mysite, chat, ...) become importable here, and it is
use_course_project() below. The in-kernel server calls it through setup_django(), and the
repository's own test suite calls it from tests/conftest.py. Nothing else touches sys.path.

Processes of their own need none of this: they run the normal Django way, in course_project/ as
their working directory (`python manage.py ...`, `python -m daphne mysite.asgi:application`),
where Python finds the project's modules itself (see workbook.processes).
"""

import atexit
import os
import shutil
import sys
import tempfile
from pathlib import Path

from workbook.paths import COURSE_PROJECT

__all__ = ["setup_django", "use_course_project"]

SETTINGS_MODULE = "mysite.settings"
# A SQLite file migrated to the current schema, to start from instead of an empty one. The grader
# and the repository's test suite set it: they run hundreds of fresh kernels and servers, and
# migrating each new database from nothing costs about 0.3 s of CPU in a kernel (1.2 s in a
# process of its own) where a copy needs no migrating (the in-kernel check finds nothing to do).
TEMPLATE_ENV = "WORKBOOK_DB_TEMPLATE"


def use_course_project():
    """Make course_project's modules importable in this process, with its settings module.

    What running in course_project/ gives a process for free: the folder holding manage.py at
    the front of the import path, and DJANGO_SETTINGS_MODULE as manage.py sets it.
    """
    if str(COURSE_PROJECT) not in sys.path:
        sys.path.insert(0, str(COURSE_PROJECT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", SETTINGS_MODULE)


def setup_django(db_path=None, *, environ=None):
    """Configure Django for course_project with a database of its own, unless already set up.

    Returns the database path: `db_path`, or a fresh file in a temporary folder. If something
    set Django up before (pytest-django, an earlier call), the database configured there is used.
    `environ` holds settings' environment variables (DJANGO_SCRIPT_NAME, ...) for this process
    only: they are set while Django reads its settings, then taken away again, so that the
    processes a lesson starts (workbook.processes) do not inherit them.
    """
    import django
    from django.conf import settings

    use_course_project()
    if settings.configured:
        configured = settings.DATABASES["default"]["NAME"]
        if db_path is not None and str(configured) != str(db_path):
            raise RuntimeError(
                f"Django is already set up with the database {configured}; start live_server() "
                "before anything else sets Django up, or restart the kernel"
            )
        return configured
    if db_path is None:
        db_path, _ = new_database("workbook-live-")
    os.environ["DJANGO_DB_PATH"] = str(db_path)
    saved = {name: os.environ.get(name) for name in environ or {}}
    os.environ.update(environ or {})
    try:
        django.setup()
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return db_path


def new_database(prefix):
    """(path, copied): a SQLite path in a temporary folder named `prefix`…, which goes when this
    process ends, started from the template (copy_template) if there is one.

    `copied` is False when the file does not exist yet: the caller migrates it from nothing.
    """
    folder = tempfile.mkdtemp(prefix=prefix)
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    path = Path(folder) / "db.sqlite3"
    return path, copy_template(path)


def copy_template(db_path):
    """Start `db_path` from the migrated template named by TEMPLATE_ENV, if there is one; True
    if it did.

    One that cannot be read leaves no file, so the caller migrates from nothing. A template is
    made by the run that names it (workbook.pytest_plugin, the grader), with the code of the
    moment: a copy needs no migrating.
    """
    template = os.environ.get(TEMPLATE_ENV)
    if not template:
        return False
    try:
        shutil.copyfile(template, db_path)
    except OSError:
        Path(db_path).unlink(missing_ok=True)
        return False
    return True
