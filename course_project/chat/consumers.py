from django.conf import settings
from django.utils import timezone

from mysite.websocket import FrameError, SafeJsonWebsocketConsumer, encode
from notifications.mentions import notify_mentions

from . import history
from .models import ANONYMOUS, Message
from .ratelimit import TokenBucket
from .rooms import is_valid_room_name, room_group_name


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


class ChatConsumer(SafeJsonWebsocketConsumer):
    """One socket in one chat room: history on join, then live messages both ways."""

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
        self.max_frame_length = settings.CHAT_MAX_MESSAGE_LENGTH * 8 + 1024

        # Join the group, then write what this process still holds and read history. From this
        # process, a message broadcast before the join is in history and one after it arrives
        # live (one sent at that very moment may arrive both ways). From another server process,
        # a message still in that process's writer (see history.py) can be in neither.
        await self.join_group(self.group_name)
        await self.accept()
        await history.flush()
        recent = Message.objects.in_room(self.room_name).order_by("-created", "-id")
        replay = [message async for message in recent[: settings.CHAT_HISTORY]]
        for message in reversed(replay):
            await self.send_json(message.payload(history=True))

    async def receive_json(self, content):
        """Called with each decoded frame from this client."""
        if not self.rate_limit.allow():
            raise FrameError(
                f"too many messages: at most {settings.CHAT_RATE_LIMIT} a second; "
                "wait a moment and send again"
            )
        text = validate_chat_message(content)
        message = Message(
            room=self.room_name,
            user_id=self.user_id,
            username=self.username,
            text=text,
            created=timezone.now(),
        )
        # Broadcast first, encoded once here rather than once per receiving socket; then queue
        # the message for history (written in batches, see history.py) and look up mentions.
        await self.channel_layer.group_send(
            self.group_name, {"type": "chat.message", "text": encode(message.payload())}
        )
        history.store(message)
        await notify_mentions(message)

    async def dispatch(self, message):
        """Route each event to its handler, like Channels, but broadcasts take a shortcut."""
        # Before every handler, Channels' dispatch() runs close_old_connections() in the one
        # thread that does this process's database work, so a message to a room of N sockets is
        # N trips through that thread, one after another. chat_message() never touches the
        # database: skipping the trip doubles what a process delivers (lesson 14 measures it).
        if message["type"] == "chat.message":
            await self.chat_message(message)
        else:
            await super().dispatch(message)

    async def chat_message(self, event):
        """Called for each message sent to the room's group."""
        await self.send(text_data=event["text"])
