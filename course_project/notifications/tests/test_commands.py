import os
import subprocess
import sys
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command

from notifications.models import Notification

pytestmark = pytest.mark.django_db

DEAD_ADDRESS = "127.0.0.1:9"  # the discard port: nothing listens there on a test machine
CREATE_ALICE = "from django.contrib.auth.models import User; User.objects.create(username='alice')"
COUNT_ALICES = (
    "from notifications.models import Notification; "
    "print(Notification.objects.filter(user__username='alice').count())"
)


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


def manage(*args, db_path, **environ):
    """`python manage.py ARGS` in a process of its own, on the database file `db_path`, with
    `environ` added to its environment variables."""
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env={**os.environ, "DJANGO_DB_PATH": str(db_path), **environ},
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


def test_notify_while_redis_is_down_says_in_one_line_that_it_is_stored(tmp_path):
    # Nothing listens on this port: the channel layer cannot be reached, as in an outage.
    db_path, redis_url = tmp_path / "db.sqlite3", f"redis://{DEAD_ADDRESS}/0"
    assert manage("migrate", "--verbosity", "0", db_path=db_path).returncode == 0
    assert (
        manage("shell", "--verbosity", "0", "--command", CREATE_ALICE, db_path=db_path).returncode
        == 0
    )

    result = manage("notify", "alice", "during the outage", db_path=db_path, REDIS_URL=redis_url)

    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.count("\n") == 1
    assert result.stdout.startswith("Stored notification 1 for alice")
    assert "cannot be reached" in result.stdout
    stored = manage("shell", "--verbosity", "0", "--command", COUNT_ALICES, db_path=db_path)
    assert stored.stdout.strip() == "1"
