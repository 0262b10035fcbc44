"""Chat history: every message is stored, and numbered in its room, before anyone sees it.

`await history.store(message)` returns once the message is committed to the database with its
number (`seq`), so the consumer broadcasts only what is already stored: a message that any
socket received is in history whatever happens to the server a moment later, and one that was
not stored yet was never shown to anyone (its sender still holds it and sends it again).

Waiting for the database on every message would be slow if every message made a trip of its
own. So the messages that arrive while one write is under way are stored together by the next
one, in one transaction with one INSERT: "group commit", as databases do with their own log.
A quiet room writes each message at once; a busy one writes more per trip, not more trips.
"""

import asyncio
import weakref
from collections import defaultdict

from channels.db import database_sync_to_async
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import Message

MAX_BATCH = 500  # messages in one transaction at most
# Two processes can pick the same next number at once on databases that let two writers in
# (PostgreSQL); the unique constraint on (room, seq) stops the second, which tries again.
# SQLite with "transaction_mode": "IMMEDIATE" (settings.py) lets one writer in at a time.
ATTEMPTS = 5

_writers = weakref.WeakKeyDictionary()  # one writer per event loop


def write_batch(messages):
    """Store unsaved Messages in one transaction, numbering each in its room.

    Returns the stored Message for each, in order: the message itself, numbered and saved, or
    the row stored earlier with the same client_id in that room (a resend stores nothing).
    """
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with transaction.atomic():
                return _write(messages)
        except IntegrityError:
            if attempt == ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def _write(messages):
    now = timezone.now()
    stored = list(messages)
    earlier = {}  # (room, client_id) -> the message stored with that id
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


class GroupCommit:
    """Stores what it is given in batches: whatever arrived while the last write ran."""

    def __init__(self, write=None, max_batch=MAX_BATCH):
        self.write = database_sync_to_async(write or write_batch)
        self.max_batch = max_batch
        self.pending = []  # (message, future) waiting for the next write
        self.task = None

    async def store(self, message):
        future = asyncio.get_running_loop().create_future()
        self.pending.append((message, future))
        if self.task is None or self.task.done():
            self.task = asyncio.create_task(self._write_pending())
        return await future

    async def _write_pending(self):
        # One turn of the loop first, so that frames that arrived together go together.
        await asyncio.sleep(0)
        while self.pending:
            batch = self.pending[: self.max_batch]
            del self.pending[: self.max_batch]
            try:
                results = await self.write([message for message, _ in batch])
            except Exception as error:
                # Every sender in the batch hears about it and keeps its message to try again.
                for _, future in batch:
                    if not future.done():  # done: its consumer was cancelled meanwhile
                        future.set_exception(error)
            else:
                for (_, future), result in zip(batch, results, strict=True):
                    if not future.done():
                        future.set_result(result)


def _writer():
    loop = asyncio.get_running_loop()
    if loop not in _writers:
        _writers[loop] = GroupCommit()
    return _writers[loop]


async def store(message):
    """Store an unsaved Message with the next number of its room; return the stored Message.

    Returns once it is committed. A message whose client_id the room already has is not
    stored again: the earlier row comes back instead (check with `stored is message`).
    Raises the database's error if the write failed; nothing of the batch is then stored.
    """
    return await _writer().store(message)
