import os
import subprocess
import sys
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from notifications.models import Notification

pytestmark = pytest.mark.django_db


def test_notify_stores_the_notification(alice):
    call_command("notify", "alice", "  hello there  ", "--link", "/chat/lobby/", stdout=StringIO())

    notification = Notification.objects.get(user=alice)
    assert notification.message == "hello there"
    assert notification.link == "/chat/lobby/"
    assert notification.read is False


def test_notify_says_in_one_line_that_a_running_server_cannot_be_reached(alice):
    out = StringIO()

    call_command("notify", "alice", "hello", stdout=out)

    assert out.getvalue().count("\n") == 1
    assert "cannot reach a running server" in out.getvalue()
    assert "REDIS_URL" in out.getvalue()


def test_notify_unknown_user_is_a_one_line_command_error(db):
    with pytest.raises(CommandError, match="no user named 'nobody'") as error:
        call_command("notify", "nobody", "hi")

    assert "\n" not in str(error.value)
    assert not Notification.objects.exists()


def test_notify_blank_text_is_a_command_error(alice):
    with pytest.raises(CommandError, match="blank"):
        call_command("notify", "alice", "   ")

    assert not Notification.objects.exists()


def manage(*args, db_path):
    """`python manage.py ARGS` in a process of its own, on the database file `db_path`."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_DB_PATH": str(db_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_notify_as_a_process_fails_with_one_line_and_no_traceback(tmp_path):
    db_path = tmp_path / "db.sqlite3"
    assert manage("migrate", "--verbosity", "0", db_path=db_path).returncode == 0

    result = manage("notify", "nobody", "hi", db_path=db_path)

    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == ["CommandError: no user named 'nobody'"]
