"""The course's chat consumer as it was before lesson 14: at-most-once. It broadcasts a message
first and stores it afterwards, in a batch written 50 ms later, so a crash loses what was
already shown, and nothing numbers the messages for a client to notice what it missed.

Everything else is the course's ChatConsumer (connect, history, the dispatch() shortcut), so
measuring the two side by side shows what storing first costs, and killing a server running
this one shows what it loses. Served at /ws/later/<room>/ by workbook/bench/bare_asgi.py.
"""

import asyncio
import weakref

from django.utils import timezone

from chat.consumers import ChatConsumer, validate_chat_message
from chat.models import Message
from mysite.websocket import FrameError, encode

FLUSH_DELAY = 0.05  # seconds a message waits to be stored with the ones after it


class LaterWriter:
    """Stores what it is given FLUSH_DELAY seconds after the first of a batch arrived."""

    def __init__(self):
        self.pending = []
        self.task = None

    def add(self, message):
        self.pending.append(message)
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self.write_soon())

    async def write_soon(self):
        await asyncio.sleep(FLUSH_DELAY)
        batch, self.pending = self.pending, []
        await Message.objects.abulk_create(batch)


_writers = weakref.WeakKeyDictionary()  # one writer per event loop


def store_later(message):
    loop = asyncio.get_running_loop()
    if loop not in _writers:
        _writers[loop] = LaterWriter()
    _writers[loop].add(message)


class StoredLaterChatConsumer(ChatConsumer):
    """ChatConsumer with the old order: broadcast first, store later, no numbers, no acks."""

    async def chat(self, content):
        if not self.rate_limit.allow():
            raise FrameError("too many messages: wait a moment and send again")
        message = Message(
            room=self.room_name,
            user_id=self.user_id,
            username=self.username,
            text=validate_chat_message(content),
            created=timezone.now(),
        )
        payload = {"message": message.text, "user": self.username}
        payload["timestamp"] = message.created.isoformat()
        await self.channel_layer.group_send(
            self.group_name, {"type": "chat.message", "text": encode(payload)}
        )
        store_later(message)

    async def chat_message(self, event):
        # One message per event, unnumbered: there is nothing to skip after the replay.
        await self.send(text_data=event["text"])
