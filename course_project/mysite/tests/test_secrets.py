"""No published key signs anything: each install makes its own, production refuses weak ones,
and `check --deploy` passes with the production settings of deploy/env.example."""

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key

from mysite.secret_key import install_key, production_key

PROJECT = Path(settings.BASE_DIR)
#: The key settings.py used to fall back to, published in the repository's history.
PUBLISHED_KEY = "django-insecure-course-project-development-key-do-not-deploy"


def test_the_key_in_use_is_not_the_published_one():
    assert settings.SECRET_KEY != PUBLISHED_KEY
    assert production_key(settings.SECRET_KEY) == settings.SECRET_KEY


def test_an_install_makes_its_key_once_readable_by_its_owner_only(tmp_path):
    path = tmp_path / ".secret_key"

    first = install_key(path)

    assert install_key(path) == first
    assert path.stat().st_mode & 0o077 == 0
    assert install_key(tmp_path / "another install") != first


def test_processes_starting_at_once_agree_on_one_key(tmp_path):
    path = tmp_path / ".secret_key"
    keys = []
    threads = [threading.Thread(target=lambda: keys.append(install_key(path))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert len(keys) == 8
    assert len(set(keys)) == 1


@pytest.mark.parametrize(
    "key", ["", " ", "x", PUBLISHED_KEY, "a" * 60, "k8#Zq!x2-short-but-random"]
)
def test_production_refuses_short_or_default_keys(key):
    with pytest.raises(ImproperlyConfigured, match="DJANGO_SECRET_KEY is not usable"):
        production_key(key.strip())


def settings_in_a_process(**environment):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "mysite.settings", **environment}
    return subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); print('started')"],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("key", [" ", "x"])
def test_a_weak_key_with_debug_off_stops_the_start(key):
    result = settings_in_a_process(DJANGO_DEBUG="false", DJANGO_SECRET_KEY=key)

    assert "started" not in result.stdout
    assert "DJANGO_SECRET_KEY is not usable" in result.stderr


def env_example():
    """deploy/env.example as a dict: one NAME=value per line, as systemd's EnvironmentFile."""
    lines = (PROJECT / "deploy" / "env.example").read_text().splitlines()
    pairs = (line.split("=", 1) for line in lines if line and not line.startswith("#"))
    return dict(pairs)


def test_check_deploy_with_the_production_settings_of_env_example_reports_nothing(tmp_path):
    production = env_example()
    assert production["DJANGO_DEBUG"] == "0"
    assert "DJANGO_SECRET_KEY" not in production  # never a key in the repository
    production.update(
        DJANGO_SECRET_KEY=get_random_secret_key(),
        DJANGO_DB_PATH=str(tmp_path / "db.sqlite3"),
        DJANGO_STATIC_ROOT=str(tmp_path / "static"),
    )
    production.pop("REDIS_URL")  # check --deploy does not connect; keep the check offline
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "mysite.settings", **production}

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
        cwd=PROJECT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "System check identified no issues (0 silenced)."
