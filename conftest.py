"""pytest set-up shared by the project's tests (course_project/) and the workbook's (tests/)."""

import pytest


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix, tmp_path_factory):
    """The test database lives in a file of this run's own (one per xdist worker), not in memory.

    An in-memory test database reaches the in-kernel server's threads through SQLite's shared
    cache, where a lock held by one connection fails another's write at once ("database table is
    locked") instead of waiting up to the `timeout` in settings, as a file does.
    """
    from django.conf import settings

    path = tmp_path_factory.mktemp("database") / "test.sqlite3"
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = str(path)
