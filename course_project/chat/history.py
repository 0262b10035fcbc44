"""Chat history, written in batches off the path that every delivery waits on.

Channels runs all of a process's synchronous database work in one thread, so a message saved as
it is sent makes every socket in the process wait behind that INSERT (the performance lesson
measures it). Instead the consumer hands each message to the writer of its event loop, which
stores whatever has gathered with one bulk INSERT a moment later.

A socket that joins a room flushes the writer before reading history, so history includes every
message this process broadcast before the join. What is still unwritten when a process dies is
lost: history is best effort, like the delivery itself.
"""

import asyncio
import logging
import weakref

from .models import Message

FLUSH_DELAY = 0.05  # seconds a message may wait to be stored with the ones after it

logger = logging.getLogger(__name__)
_writers = weakref.WeakKeyDictionary()  # one writer per event loop


class HistoryWriter:
    def __init__(self, delay=FLUSH_DELAY):
        self.delay = delay
        self.pending = []
        self.timer = None
        self.lock = asyncio.Lock()

    def add(self, message):
        self.pending.append(message)
        if self.timer is None or self.timer.done():
            self.timer = asyncio.create_task(self._flush_later())

    async def _flush_later(self):
        await asyncio.sleep(self.delay)
        await self.flush()

    async def flush(self):
        async with self.lock:
            while self.pending:
                batch, self.pending = self.pending, []
                try:
                    await Message.objects.abulk_create(batch)
                except Exception:
                    # A failed batch must not take the writer, or the room, down with it.
                    logger.exception("could not store %d chat messages", len(batch))


def _writer():
    loop = asyncio.get_running_loop()
    if loop not in _writers:
        _writers[loop] = HistoryWriter()
    return _writers[loop]


def store(message):
    """Queue an unsaved Message to be written soon. Call from the event loop."""
    _writer().add(message)


async def flush():
    """Write everything queued so far on this event loop."""
    writer = _writers.get(asyncio.get_running_loop())
    if writer is not None:
        await writer.flush()
