import asyncio
import functools
import logging
import re
from collections import deque
from urllib.parse import parse_qs

from channels.exceptions import StopConsumer
from django.conf import settings
from django.db import DatabaseError

from mysite.websocket import FrameError, SafeJsonWebsocketConsumer
from notifications.mentions import notify_mentions

from . import history
from .models import ANONYMOUS, Message
from .ratelimit import TokenBucket
from .rooms import is_valid_room_name, room_group_name

logger = logging.getLogger(__name__)

# The ids pages give their messages (see room.js): letters, digits, "-" and "_", at most 64.
CLIENT_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
REPLAY_CHUNK = 500  # messages read from the database at a time when replaying
STORE_FAILED = "could not store your message right now; it is sent again in a moment"
UNREACHABLE = (
    "your message is stored, but the room cannot be reached right now: "
    "the others get it as soon as the connection is back"
)


def validate_chat_message(content):
    """Return the message text of a decoded frame, or raise FrameError saying what is wrong."""
    text = content.get("message")
    if text is None:
        raise FrameError('missing "message": send {"message": "your text"}')
    if not isinstance(text, str):
        raise FrameError('"message" must be a string')
    text = text.strip()
    if not text:
        raise FrameError("message is blank")
    limit = settings.CHAT_MAX_MESSAGE_LENGTH
    if len(text) > limit:
        raise FrameError(f"message too long: {len(text)} characters, at most {limit}")
    try:
        # A JSON escape such as "\ud800" decodes to a lone surrogate, which can be neither
        # stored nor sent on as UTF-8.
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise FrameError("message is not valid Unicode text") from None
    return text


def validate_client_id(content):
    """The message's own id ("id"), or None when the client sends without one."""
    client_id = content.get("id")
    if client_id is None:
        return None
    if not isinstance(client_id, str) or not CLIENT_ID.fullmatch(client_id):
        raise FrameError('"id" must be 1 to 64 letters, digits, "-" or "_"')
    return client_id


def validate_seq(value, name):
    """A message number a client sent (`after`, `before`): a whole number, 0 or more."""
    # bool is an int in Python, and JSON's true must not pass for 1.
    if type(value) is not int or value < 0:
        raise FrameError(f'"{name}" must be a whole number, 0 or more')
    return value


def resume_point(scope):
    """The number in `?after=N` (the last message the client has), or None without one."""
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("after")
    if not values:
        return None
    if not values[0].isdigit() or len(values[0]) > 18:
        raise FrameError("after= must be the number of the last message you have, 0 or more")
    return int(values[0])


class ChatConsumer(SafeJsonWebsocketConsumer):
    """One socket in one chat room: history on join, then live messages both ways.

    Nothing is lost between the database and the page. Every message is stored, numbered in
    its room (`seq`), before it is broadcast; the sender's copy doubles as its acknowledgement;
    a client that reconnects with `?after=N` gets every message after N, and a client that sees
    a hole in the numbers asks for it with `{"type": "fetch", "after": N}`.
    """

    # Broadcasts numbered up to this were already sent by a replay (connect(), layer_reconnected()).
    replayed_up_to = 0
    replier = None  # the task sending reply()'s frames, while there are any

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.replies = deque()  # frames for this socket from the history writer, in order

    async def connect(self):
        """Called when a client asks to open the socket."""
        self.room_name = self.scope["url_route"]["kwargs"]["room_name"]
        if not is_valid_room_name(self.room_name):
            await self.close()  # before accept(): the handshake is refused with HTTP 403
            return
        self.group_name = room_group_name(self.room_name)
        user = self.scope["user"]
        self.user_id = user.pk if user.is_authenticated else None
        self.username = user.username if user.is_authenticated else ANONYMOUS
        self.rate_limit = TokenBucket(settings.CHAT_RATE_LIMIT, settings.CHAT_RATE_BURST)
        self.fetch_limit = TokenBucket(settings.CHAT_RATE_LIMIT, settings.CHAT_RATE_BURST)
        self.max_frame_length = settings.CHAT_MAX_MESSAGE_LENGTH * 8 + 1024

        # Join the group first, then read from the database. A message is stored before it is
        # broadcast, so one broadcast before the join is in what is read, and one broadcast after
        # it waits in this consumer's queue; one can be both (dropped in chat_message()), never
        # neither. This holds across server processes too.
        await self.join_group(self.group_name)
        await self.accept()
        try:
            after = resume_point(self.scope)
        except FrameError as error:
            await self.send_error(str(error))
            after = None
        if after is None:
            self.replayed_up_to = await self.send_recent()
        else:
            self.replayed_up_to = await self.send_range(after)

    async def disconnect(self, code):
        """Called when the socket closes, by the client or by a server that is stopping."""
        # What this socket sent is stored (and broadcast) before its consumer ends, so that a
        # graceful stop leaves nothing unstored. The writer is shared: this waits for the rest of
        # its work too, a batch or two.
        await history.flush()

    async def send_recent(self, history=True):
        """Send the room's latest CHAT_HISTORY messages, oldest first; return the last number."""
        newest = Message.objects.in_room(self.room_name).order_by("-seq")
        recent = [message async for message in newest[: settings.CHAT_HISTORY]]
        for message in reversed(recent):
            await self.send_json(message.payload(history=history))
        return recent[0].seq if recent else 0

    async def send_range(self, after, before=None):
        """Send every message numbered after `after` (and before `before`), in order, however
        many there are; return the number of the last one sent (`after` if none)."""
        last = after
        while True:
            messages = Message.objects.in_room(self.room_name).after(last)
            if before is not None:
                messages = messages.filter(seq__lt=before)
            chunk = [message async for message in messages[:REPLAY_CHUNK]]
            for message in chunk:
                await self.send_json(message.payload())
            if len(chunk) < REPLAY_CHUNK:
                return chunk[-1].seq if chunk else last
            last = chunk[-1].seq

    async def receive_json(self, content):
        """Called with each decoded frame from this client."""
        if content.get("type") == "fetch":
            await self.fetch(content)
        else:
            await self.chat(content)

    async def chat(self, content):
        """A message for the room: handed to the history writer, which stores, broadcasts, acks."""
        client_id = validate_client_id(content)
        try:
            if not self.rate_limit.allow():
                raise FrameError(
                    f"too many messages: at most {settings.CHAT_RATE_LIMIT} a second; "
                    "wait a moment and send again",
                    retry=True,
                )
            text = validate_chat_message(content)
        except FrameError as error:
            # The client's id goes back with the refusal, so it knows which message it was.
            if client_id is not None:
                error.details["id"] = client_id
            raise
        message = Message(
            room=self.room_name,
            user_id=self.user_id,
            username=self.username,
            text=text,
            client_id=client_id,
        )
        # The history writer commits the message (together with whatever else arrived meanwhile),
        # broadcasts it to the room, and then calls acknowledge(): nothing is shown that is not
        # stored. store() returns at once, so this socket's next frame is read while it writes.
        history.store(message, then=functools.partial(self.acknowledge, message))

    async def acknowledge(self, message, commit, published):
        """Called by the history writer once `message` is stored and broadcast (or not)."""
        client_id = message.client_id
        try:
            stored = commit.result()
        except DatabaseError:
            logger.exception("could not store a message in #%s", self.room_name)
            self.reply({"error": STORE_FAILED, "id": client_id, "retry": True})
            return
        if stored is message:  # not a resend of a message stored earlier
            await notify_mentions(stored)  # before the ack: an acked message is fully handled
        if client_id is not None:
            # The acknowledgement is the stored message itself, with the id the client gave it.
            self.reply({**stored.payload(), "ack": client_id})
        if not published:
            self.reply({"error": UNREACHABLE})

    def reply(self, content):
        """Send `content` to this socket from a task of its own, in the order given.

        The history writer serves every room of the process: it must never wait for one client
        to read (a server with backpressure, such as uvicorn, makes a send wait).
        """
        self.replies.append(content)
        if self.replier is None or self.replier.done():
            self.replier = asyncio.create_task(self._send_replies())

    async def _send_replies(self):
        while self.replies:
            try:
                await self.send_json(self.replies.popleft())
            except StopConsumer:  # the socket was dropped (it would not read): nothing to say
                self.replies.clear()

    async def fetch(self, content):
        """`{"type": "fetch", "after": N, "before": M}`: the messages a client has missed."""
        if not self.fetch_limit.allow():
            raise FrameError("too many fetches: wait a moment and ask again", retry=True)
        after = validate_seq(content.get("after"), "after")
        before = content.get("before")
        if before is not None:
            before = validate_seq(before, "before")
        await self.send_range(after, before)

    async def dispatch(self, message):
        """Route each event to its handler, like Channels, but broadcasts take a shortcut."""
        # Before every handler, Channels' dispatch() runs close_old_connections() in the one
        # thread that does this process's database work, so a message to a room of N sockets is
        # N trips through that thread, one after another. chat_message() never touches the
        # database: skipping the trip doubles what a process delivers (lesson 15 measures it).
        if message["type"] == "chat.message":
            await self.chat_message(message)
        else:
            await super().dispatch(message)

    async def chat_message(self, event):
        """Called for each event sent to the room's group: messages stored together, in order."""
        for seq, text in event["messages"]:
            if seq > self.replayed_up_to:  # not sent already by the replay in connect()
                await self.send(text_data=text)

    async def layer_reconnected(self, event):
        """Redis is back after an outage (mysite.layers) and this socket is in its room's group
        again. A message broadcast before the group was rejoined reached no one: send the room's
        newest messages again. The page drops those it has, and asks for any older one it still
        lacks (a hole in the numbers), so it need not wait for its next periodic check."""
        newest = await self.send_recent(history=False)
        self.replayed_up_to = max(self.replayed_up_to, newest)
