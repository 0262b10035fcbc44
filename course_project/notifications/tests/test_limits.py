"""A flood of @mentions notifies a few users at most, and links cannot run script."""

import itertools
import string
from io import StringIO

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from notifications.models import Notification
from notifications.validators import validate_link

pytestmark = pytest.mark.django_db(transaction=True)

#: 500 two-letter names: "@ab @ac ..." fits one chat message (2000 characters).
NAMES = ["".join(pair) for pair in itertools.product(string.ascii_lowercase, repeat=2)][:500]


@pytest.fixture
async def everyone(django_user_model):
    await django_user_model.objects.abulk_create(
        [django_user_model(username=name) for name in NAMES]
    )


def flood():
    return {"message": " ".join(f"@{name}" for name in NAMES)}


async def send_and_wait(socket, wait_until_processed, frame):
    await socket.send_json_to(frame)
    await wait_until_processed(socket)


async def test_a_guest_naming_500_users_notifies_nobody(
    websocket, wait_until_processed, everyone, room_name
):
    # The attack: one message with 500 @mentions from an anonymous guest, 500 notifications.
    guest = await websocket(f"/ws/chat/{room_name}/")

    await send_and_wait(guest, wait_until_processed, flood())

    assert await Notification.objects.acount() == 0


async def test_a_user_naming_500_users_notifies_the_first_few(
    settings, websocket, wait_until_processed, everyone, alice, room_name
):
    chat = await websocket(f"/ws/chat/{room_name}/", user=alice)

    await send_and_wait(chat, wait_until_processed, flood())

    notified = [n async for n in Notification.objects.values_list("user__username", flat=True)]
    assert sorted(notified) == NAMES[: settings.CHAT_MENTIONS_PER_MESSAGE]


async def test_mentions_per_minute_count_across_all_of_a_users_sockets(
    settings, websocket, wait_until_processed, everyone, alice, room_name
):
    # The attack: 6,000 notifications in 7 s from 4 sockets.
    sockets = [await websocket(f"/ws/chat/{room_name}/", user=alice) for _ in range(4)]
    for socket in sockets:
        for _ in range(3):
            await send_and_wait(socket, wait_until_processed, flood())

    assert await Notification.objects.acount() == settings.CHAT_MENTIONS_PER_MINUTE


@pytest.mark.parametrize(
    "link",
    [
        "javascript:alert(1)",
        "JavaScript:alert(1)",
        "data:text/html,x",
        "//evil.example/",
        "/\\evil.example",
        "ftp://example.com/",
        "/chat/ lobby/",
    ],
)
def test_links_that_leave_the_site_or_run_script_are_refused(alice, link):
    with pytest.raises(ValidationError):
        validate_link(link)
    with pytest.raises(ValidationError):
        Notification.objects.create(user=alice, message="hi", link=link)


@pytest.mark.parametrize("link", ["", "/chat/lobby/", "/transcripts/3/", "https://example.com/a"])
def test_site_paths_and_web_addresses_are_fine(link):
    validate_link(link)


def test_notify_refuses_a_script_link_in_one_line(alice):
    with pytest.raises(CommandError, match="a link must be a path on this site") as error:
        call_command("notify", "alice", "hi", "--link", "javascript:alert(1)", stdout=StringIO())

    assert "\n" not in str(error.value)
    assert not Notification.objects.exists()
