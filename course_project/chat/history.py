"""Chat history: every message is stored, and numbered in its room, before anyone sees it.

`history.store(message, then=acknowledge)` hands the message to the writer of this event loop and
returns at once. The writer commits it to the database with its number (`seq`), then broadcasts
it to its room, then calls `await acknowledge(commit, published)`: `commit.result()` is the
stored message (or raises the database's error), `published` says whether the broadcast reached
the channel layer. So a message that any socket received is in history whatever happens to the
server a moment later, and one that was not stored yet was never shown to anyone (its sender
still holds it and sends it again). Without `then`, the returned future can be awaited:
`stored = await history.store(message)`.

Waiting for the database on every message would be slow if every message made a trip of its
own. So the messages that arrive while one write is under way are stored together by the next
one, in one transaction with one INSERT: "group commit", as databases do with their own log.
And what was stored together is broadcast together, one event per room for the whole batch, so
every socket in the room handles one event for it, not one per message. A quiet room writes and
broadcasts each message at once; a busy one does more per trip, not more trips. Since store()
does not wait, a socket's next frame is read while its last one is being written.
"""

import asyncio
import logging
import weakref
from collections import defaultdict

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from django.db import IntegrityError, transaction
from django.utils import timezone

from mysite.layers import LAYER_ERRORS
from mysite.websocket import encode

from .models import Message
from .rooms import room_group_name

MAX_BATCH = 500  # messages in one transaction at most
# Two processes can pick the same next number at once on databases that let two writers in
# (PostgreSQL); the unique constraint on (room, seq) stops the second, which tries again.
# SQLite with "transaction_mode": "IMMEDIATE" (settings.py) lets one writer in at a time.
ATTEMPTS = 5

logger = logging.getLogger(__name__)
_writers = weakref.WeakKeyDictionary()  # one writer per event loop


def write_batch(messages):
    """Store unsaved Messages in one transaction, numbering each in its room.

    Returns the stored Message for each, in order: the message itself, numbered and saved, or
    the row stored earlier with the same client_id in that room (a resend stores nothing).
    """
    # Resends are rare (a page sends again only after a reconnect), so the first attempt just
    # inserts; the unique constraint on (room, client_id) refuses the batch if it holds one, and
    # the next attempts look the ids up first.
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with transaction.atomic():
                return _write(messages, look_up_resends=attempt > 1)
        except IntegrityError:
            if attempt == ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def _write(messages, look_up_resends):
    now = timezone.now()
    stored = list(messages)
    earlier = {}  # (room, client_id) -> the message stored with that id
    if look_up_resends:
        ids_by_room = defaultdict(set)
        for message in messages:
            if message.client_id:
                ids_by_room[message.room].add(message.client_id)
        for room, client_ids in ids_by_room.items():
            for row in Message.objects.filter(room=room, client_id__in=client_ids):
                earlier[room, row.client_id] = row
    new = []
    for index, message in enumerate(messages):
        key = (message.room, message.client_id)
        if message.client_id and key in earlier:
            stored[index] = earlier[key]  # sent again: answer with what was stored the first time
            continue
        if message.client_id:
            earlier[key] = message
        message.created = now  # stored at: times then never run backwards within a room
        message.seq = None  # numbered by bulk_create() (again, if an earlier attempt failed)
        new.append(message)
    Message.objects.bulk_create(new)  # numbers them, room by room, in this order
    return stored


async def publish(messages):
    """Broadcast stored messages to their rooms: one event per room, in the order of their numbers.

    Each message goes as `[seq, text]`, its JSON encoded once here for every socket. Returns
    False if the channel layer could not be reached (the messages are stored all the same).
    """
    by_room = defaultdict(dict)
    for message in messages:
        by_room[message.room][message.seq] = message  # a resend in the batch goes once
    layer = get_channel_layer()
    try:
        for room, numbered in by_room.items():
            entries = [[seq, encode(numbered[seq].payload())] for seq in sorted(numbered)]
            await layer.group_send(
                room_group_name(room), {"type": "chat.message", "messages": entries}
            )
    except LAYER_ERRORS as error:
        logger.warning("could not broadcast chat messages: %s", error)
        return False
    return True


class GroupCommit:
    """Stores what it is given in batches (whatever arrived while the last write ran), then
    broadcasts each batch, then calls back the senders, in order."""

    def __init__(self, write=None, broadcast=None, max_batch=MAX_BATCH):
        # A thread of its own, not the one every consumer's events pass through (Channels runs
        # close_old_connections() there before each handler): frames keep flowing while it writes.
        self.write = database_sync_to_async(write or write_batch, thread_sensitive=False)
        self.broadcast = broadcast or publish
        self.max_batch = max_batch
        self.pending = []  # (message, future, then) waiting for the next write
        self.task = None

    def store(self, message, then=None):
        future = asyncio.get_running_loop().create_future()
        self.pending.append((message, future, then))
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._write_pending())
        return future

    async def _write_pending(self):
        # One turn of the loop first, so that frames that arrived together go together.
        await asyncio.sleep(0)
        while self.pending:
            batch = self.pending[: self.max_batch]
            del self.pending[: self.max_batch]
            published = False
            try:
                results = await self.write([message for message, _, _ in batch])
            except Exception as error:
                # Nothing was stored, so nothing is broadcast; every sender hears about it and
                # keeps its message to try again.
                for _, future, _ in batch:
                    if not future.done():  # done: whoever awaited it was cancelled meanwhile
                        future.set_exception(error)
            else:
                try:
                    published = await self.broadcast(results)
                except Exception:
                    # Stored all the same: the senders get their acks, and the others fetch
                    # these messages when they see the hole in the numbers.
                    logger.exception("broadcasting stored chat messages failed")
                for (_, future, _), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)
            for _, future, then in batch:
                if then is not None and not future.cancelled():
                    try:
                        await then(future, published)
                    except Exception:
                        # One failed callback must not stop the writer, or the room.
                        logger.exception("calling back the sender of a chat message failed")

    async def flush(self):
        """Wait until everything handed over so far is stored, broadcast and called back."""
        if asyncio.current_task() is self.task:
            return  # called from a callback: the writer cannot wait for itself
        while self.task is not None and not self.task.done():
            await asyncio.shield(self.task)


def _writer():
    loop = asyncio.get_running_loop()
    if loop not in _writers:
        _writers[loop] = GroupCommit()
    return _writers[loop]


def store(message, then=None):
    """Store an unsaved Message with the next number of its room, broadcast it, return a future.

    The future's result is the stored Message: the message itself, numbered, or the one the room
    already had with the same client_id (a resend stores nothing, and is broadcast again; check
    with `stored is message`). If the write failed it raises the database's error, and nothing of
    the batch was stored or broadcast. `then`, an async function, is called once the message is
    stored and broadcast (or could not be), in the order the messages were handed over:
    `await then(future, published)`.
    """
    return _writer().store(message, then)


async def flush():
    """Wait until everything handed to this event loop's writer so far is stored and announced."""
    writer = _writers.get(asyncio.get_running_loop())
    if writer is not None:
        await writer.flush()
