"""The transcript worker, driven the way `manage.py runworker` drives it: a "channel" scope
through mysite.asgi's ChannelNameRouter, one message at a time."""

import asyncio
import contextlib
import logging
import runpy
from datetime import UTC, datetime, timedelta

import pytest
from channels.layers import get_channel_layer
from channels.testing import ApplicationCommunicator
from channels_redis.core import RedisChannelLayer
from django.conf import settings

from chat.models import Message
from notifications.models import Notification
from notifications.push import user_group_name
from transcripts.models import Transcript
from transcripts.workers import (
    TRANSCRIPT_CHANNEL,
    InvalidRequest,
    export_request,
    parse_request,
    render_transcript,
)

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 10


@pytest.fixture
async def worker():
    """The project's ASGI application serving the transcript channel, as in a worker process.

    Yields the communicator; after the test it must still be running (a bad message must never
    stop it), and is then stopped.
    """
    from mysite.asgi import application

    communicator = ApplicationCommunicator(
        application, {"type": "channel", "channel": TRANSCRIPT_CHANNEL}
    )
    try:
        yield communicator
        assert not communicator.future.done(), "the worker consumer stopped"
    finally:
        communicator.stop(exceptions=False)
        with contextlib.suppress(asyncio.CancelledError):
            await communicator.future
        await get_channel_layer().flush()


@pytest.fixture
async def notifications_of():
    """`inbox = await notifications_of(user)`; `await inbox()` is the next push to that user."""
    layer = get_channel_layer()

    async def listen(user):
        channel = await layer.new_channel()
        await layer.group_add(user_group_name(user.pk), channel)
        return lambda: asyncio.wait_for(layer.receive(channel), TIMEOUT)

    return listen


async def add_messages(room, *texts, username="alice"):
    start = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
    for minute, text in enumerate(texts):
        await Message.objects.acreate(
            room=room, username=username, text=text, created=start + timedelta(minutes=minute)
        )


async def test_export_writes_the_transcript_and_notifies_the_user(
    worker, notifications_of, alice, room_name
):
    await add_messages(room_name, "first", "second")
    inbox = await notifications_of(alice)

    await worker.send_input(export_request(room_name, alice.pk))

    pushed = await inbox()
    transcript = await Transcript.objects.aget(room=room_name)
    assert transcript.user_id == alice.pk
    assert transcript.message_count == 2
    lines = transcript.text.splitlines()
    assert lines[0] == f"Transcript of #{room_name}"
    assert lines[-2:] == [
        "[2025-03-01 12:00:00 UTC] alice: first",
        "[2025-03-01 12:01:00 UTC] alice: second",
    ]
    assert pushed["type"] == "notification.push"
    notification = await Notification.objects.aget(user=alice)
    assert notification.message == f"Your transcript of #{room_name} is ready: 2 messages."
    assert notification.link == f"/transcripts/{transcript.pk}/"
    assert f'"link":"/transcripts/{transcript.pk}/"' in pushed["text"]


async def test_transcript_holds_only_that_room(worker, notifications_of, alice, room_name):
    await add_messages(room_name, "in the room")
    await add_messages(f"{room_name}-other", "elsewhere")
    inbox = await notifications_of(alice)

    await worker.send_input(export_request(room_name, alice.pk))
    await inbox()

    transcript = await Transcript.objects.aget(room=room_name)
    assert "in the room" in transcript.text
    assert "elsewhere" not in transcript.text


@pytest.mark.parametrize(
    ("bad_message", "logged"),
    [
        ({"type": "transcript.export", "room": "no-messages-here", "user_id": 0}, "no active"),
        ({"type": "transcript.export", "room": "has/slash", "user_id": 1}, "not a room name"),
        ({"type": "transcript.export", "user_id": 1}, "not a room name"),
        ({"type": "transcript.export", "room": "lobby", "user_id": "1"}, "not a user id"),
        ({"type": "transcript.export", "room": "lobby", "user_id": True}, "not a user id"),
        ({"type": "transcript.delete", "room": "lobby"}, "Dropped a message"),
    ],
)
async def test_a_bad_request_is_logged_and_dropped_and_the_worker_serves_the_next(
    worker, notifications_of, alice, room_name, caplog, bad_message, logged
):
    await add_messages(room_name, "still served")
    inbox = await notifications_of(alice)

    with caplog.at_level(logging.INFO, logger="transcripts"):
        await worker.send_input(bad_message)
        await worker.send_input(export_request(room_name, alice.pk))
        # One message at a time: once the second is done, the first was handled before it.
        await inbox()

    assert logged in caplog.text
    assert await Transcript.objects.acount() == 1


async def test_an_unknown_user_or_an_empty_room_writes_nothing(
    worker, notifications_of, alice, django_user_model, room_name, caplog
):
    await add_messages(room_name, "hello")
    retired = await django_user_model.objects.acreate(username="retired", is_active=False)
    inbox = await notifications_of(alice)

    await worker.send_input(export_request(room_name, retired.pk))
    await worker.send_input(export_request(f"{room_name}-empty", alice.pk))
    await worker.send_input(export_request(room_name, alice.pk))
    await inbox()

    assert [t.room async for t in Transcript.objects.all()] == [room_name]
    assert f"no active user with id {retired.pk}" in caplog.text
    assert f"#{room_name}-empty has no messages" in caplog.text


def test_parse_request_accepts_exactly_what_export_request_makes():
    assert parse_request(export_request("lobby.2_x-y", 7)) == ("lobby.2_x-y", 7)
    with pytest.raises(InvalidRequest):
        parse_request({"type": "transcript.export", "room": "x" * 65, "user_id": 7})


def test_render_transcript_indents_the_later_lines_of_a_message(alice):
    created = datetime(2025, 3, 1, 13, 0, tzinfo=UTC)
    message = Message(
        room="lobby",
        username="bob",
        text="two\nlines",
        created=datetime(2025, 3, 1, 12, 0, tzinfo=UTC),
    )

    text = render_transcript("lobby", [message], alice, created)

    assert text == (
        "Transcript of #lobby\n"
        "Exported for alice at 2025-03-01 13:00:00 UTC; 1 message.\n"
        "\n"
        "[2025-03-01 12:00:00 UTC] bob: two\n"
        "    lines\n"
    )


@pytest.mark.parametrize("layer", ["core", "pubsub"])
def test_with_redis_an_idle_worker_outlives_the_blocking_receive(monkeypatch, layer):
    """redis-py 8 times reads out after 5 s by default, as long as channels_redis blocks in
    receive(): without a longer socket timeout every idle worker (and socket) would crash."""
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/0")
    monkeypatch.setenv("CHANNEL_LAYER", layer)

    configured = runpy.run_path(settings.BASE_DIR / "mysite" / "settings.py")["CHANNEL_LAYERS"]

    [host] = configured["default"]["CONFIG"]["hosts"]
    assert host["address"] == "redis://127.0.0.1:6379/0"
    assert host["socket_timeout"] > RedisChannelLayer.brpop_timeout
