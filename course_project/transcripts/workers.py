"""The transcript worker: background work done the Channels way.

A view asks for a transcript with `channel_layer.send(TRANSCRIPT_CHANNEL, export_request(...))`.
A worker process started with

    REDIS_URL=redis://127.0.0.1:6379/0 python manage.py runworker chat-transcripts

receives it through the ChannelNameRouter in mysite/asgi.py, writes the transcript, and notifies
the user with a link to download it. The worker is a separate process, so the channel layer must
be one that processes share (Redis): the in-memory layer never reaches it. (The `@background`
decorator some tutorials show is django-background-tasks, not Channels; and a WebSocket consumer
never consumes a queue: only a worker listening on the named channel does.)

Delivery is at-most-once. A request sent while no worker runs waits in Redis until it expires
(60 s by default) and is then dropped; a worker stopped halfway through a request loses it;
nothing is acknowledged or retried. Here that is fine: the user presses the button again. Work
that must not be lost belongs in a task queue with acknowledgements and retries (Celery, or the
django-tasks package, which became Django 6.0's tasks framework).

A Redis outage does not stop the worker: the project's channel layer (mysite/layers.py) waits
for Redis to come back, and the worker carries on with the requests sent after that.
"""

import logging
import reprlib

from channels.consumer import AsyncConsumer
from channels.db import database_sync_to_async
from django.contrib.auth import get_user_model
from django.utils import timezone

from chat.models import Message
from chat.rooms import is_valid_room_name
from notifications.push import anotify

from .models import Transcript

logger = logging.getLogger(__name__)

#: The named channel the worker listens on: `manage.py runworker chat-transcripts`.
TRANSCRIPT_CHANNEL = "chat-transcripts"

TIME_FORMAT = "%Y-%m-%d %H:%M:%S UTC"


class InvalidRequest(ValueError):
    """A request the worker cannot carry out; it is logged and dropped."""


def export_request(room, user_id):
    """The message that asks the worker for a transcript of `room` for the user `user_id`."""
    return {"type": "transcript.export", "room": room, "user_id": user_id}


def parse_request(message):
    """The (room, user_id) of a transcript.export message, or InvalidRequest saying what is wrong.

    Anything that can reach the channel layer can send to the channel, so nothing is trusted.
    """
    room = message.get("room")
    user_id = message.get("user_id")
    if not isinstance(room, str) or not is_valid_room_name(room):
        raise InvalidRequest(f"not a room name: {reprlib.repr(room)}")
    if type(user_id) is not int:
        raise InvalidRequest(f"not a user id: {reprlib.repr(user_id)}")
    return room, user_id


def render_transcript(room, messages, user, created):
    """The plain text of a transcript: a heading, then one message per line, oldest first.

    Lines after the first of a multi-line message are indented, so every line that starts
    with a timestamp starts a message.
    """
    count = len(messages)
    lines = [
        f"Transcript of #{room}",
        f"Exported for {user.username} at {created:{TIME_FORMAT}}; "
        f"{count} message{'' if count == 1 else 's'}.",
        "",
    ]
    for message in messages:
        text = message.text.replace("\r\n", "\n").replace("\n", "\n    ")
        lines.append(f"[{message.created:{TIME_FORMAT}}] {message.username}: {text}")
    return "\n".join(lines) + "\n"


@database_sync_to_async
def write_transcript(room, user_id):
    """Store the transcript of `room` for the user; InvalidRequest if either is unknown."""
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise InvalidRequest(f"no active user with id {user_id}")
    messages = list(Message.objects.in_room(room))
    if not messages:
        raise InvalidRequest(f"#{room} has no messages")
    created = timezone.now()
    return Transcript.objects.create(
        room=room,
        user=user,
        text=render_transcript(room, messages, user, created),
        message_count=len(messages),
        created=created,
    )


class TranscriptWorker(AsyncConsumer):
    """Writes transcripts for requests on TRANSCRIPT_CHANNEL, one at a time, in the worker."""

    async def dispatch(self, message):
        """Called with each message on the channel.

        A handler that raises ends this consumer instance, and requests already queued for it
        go with it; so a bad message is logged and dropped here, and the next one is served.
        """
        try:
            await super().dispatch(message)
        except Exception:
            logger.exception(
                "Dropped a message on %s: %s", TRANSCRIPT_CHANNEL, reprlib.repr(message)
            )

    async def transcript_export(self, message):
        """Called for each {"type": "transcript.export", "room": ..., "user_id": ...}."""
        try:
            room, user_id = parse_request(message)
            transcript = await write_transcript(room, user_id)
        except InvalidRequest as error:
            logger.warning("Dropped a transcript request: %s", error)
            return
        count = transcript.message_count
        notification = await anotify(
            transcript.user,
            f"Your transcript of #{room} is ready: {count} message{'' if count == 1 else 's'}.",
            link=transcript.get_absolute_url(),
        )
        logger.info("Wrote transcript %s of #%s for user %s", transcript.pk, room, user_id)
        if not notification.pushed:
            logger.warning(
                "Could not push the notification for transcript %s (is Redis down?); "
                "the user gets it on their next connect",
                transcript.pk,
            )
