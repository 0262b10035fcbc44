"""chat/history.py: numbering, group commit and resends, against the test database."""

import asyncio

import pytest
from django.db import OperationalError

from chat import history
from chat.models import Message, MessageQuerySet

pytestmark = pytest.mark.django_db(transaction=True)


def unsaved(room, text, client_id=None):
    return Message(room=room, username="alice", text=text, client_id=client_id)


async def rows(room):
    return [(m.seq, m.text) async for m in Message.objects.in_room(room)]


async def test_store_numbers_each_rooms_messages_from_one(room_name):
    other = f"{room_name}-other"

    first = await history.store(unsaved(room_name, "one"))
    elsewhere = await history.store(unsaved(other, "elsewhere"))
    second = await history.store(unsaved(room_name, "two"))

    assert (first.seq, second.seq, elsewhere.seq) == (1, 2, 1)
    assert first.pk is not None
    assert await rows(room_name) == [(1, "one"), (2, "two")]


async def test_messages_stored_at_once_are_numbered_without_holes_or_repeats(room_name):
    stored = await asyncio.gather(*(history.store(unsaved(room_name, f"m{n}")) for n in range(40)))

    assert sorted(message.seq for message in stored) == list(range(1, 41))
    assert len(await rows(room_name)) == 40


async def test_messages_arriving_during_a_write_go_in_the_next_one(room_name):
    batches = []

    def recording_write(messages):
        batches.append(len(messages))
        return history.write_batch(messages)

    writer = history.GroupCommit(write=recording_write)

    stored = await asyncio.gather(*(writer.store(unsaved(room_name, f"m{n}")) for n in range(20)))

    assert [message.seq for message in stored] == list(range(1, 21))
    assert sum(batches) == 20
    assert len(batches) < 20  # the whole point: fewer trips than messages
    assert batches[0] == 20  # arrived in one turn of the loop, so stored in one transaction


async def test_a_resend_with_the_same_client_id_is_stored_once(room_name):
    first = await history.store(unsaved(room_name, "hello", client_id="abc"))
    again = await history.store(unsaved(room_name, "hello", client_id="abc"))
    other_room = await history.store(unsaved(f"{room_name}-b", "hello", client_id="abc"))

    assert again.seq == first.seq == 1
    assert again.pk == first.pk
    assert other_room.seq == 1  # client ids count per room
    assert await rows(room_name) == [(1, "hello")]


async def test_the_same_client_id_twice_in_one_batch_is_stored_once(room_name):
    writer = history.GroupCommit()
    copies = [unsaved(room_name, "twice", client_id="dup"), unsaved(room_name, "twice", "dup")]
    first, second = await asyncio.gather(*(writer.store(message) for message in copies))

    assert first.seq == second.seq == 1
    assert await rows(room_name) == [(1, "twice")]


async def test_a_failed_write_reaches_every_sender_in_the_batch_and_stores_nothing(room_name):
    failures = [OperationalError("database is locked")]

    def write_failing_once(messages):
        if failures:
            raise failures.pop()
        return history.write_batch(messages)

    writer = history.GroupCommit(write=write_failing_once)

    results = await asyncio.gather(
        *(writer.store(unsaved(room_name, f"m{n}")) for n in range(3)), return_exceptions=True
    )

    assert all(isinstance(result, OperationalError) for result in results)
    assert await rows(room_name) == []
    # The writer carries on with the next message, which gets number 1: nothing was taken.
    assert (await writer.store(unsaved(room_name, "after the failure"))).seq == 1


async def test_a_batch_is_committed_then_broadcast_then_its_senders_are_called_back(room_name):
    events = []

    def recording_write(messages):
        stored = history.write_batch(messages)
        events.append(("committed", [message.seq for message in stored]))
        return stored

    async def recording_broadcast(messages):
        # What the others see is already in the database.
        events.append(("broadcast", [m.seq async for m in Message.objects.in_room(room_name)]))
        return True

    async def acknowledge(commit, published):
        events.append(("ack", commit.result().seq, published))

    writer = history.GroupCommit(write=recording_write, broadcast=recording_broadcast)
    for number in range(3):
        writer.store(unsaved(room_name, f"m{number}"), then=acknowledge)
    await writer.flush()

    assert events == [
        ("committed", [1, 2, 3]),
        ("broadcast", [1, 2, 3]),
        ("ack", 1, True),
        ("ack", 2, True),
        ("ack", 3, True),
    ]


async def test_a_broadcast_that_fails_still_acknowledges_what_was_stored(room_name):
    async def broken_broadcast(messages):
        raise RuntimeError("a layer with a bug")

    answers = []

    async def acknowledge(commit, published):
        answers.append((commit.result().seq, published))

    writer = history.GroupCommit(broadcast=broken_broadcast)
    writer.store(unsaved(room_name, "kept"), then=acknowledge)
    await writer.flush()

    assert answers == [(1, False)]
    assert await rows(room_name) == [(1, "kept")]


def test_saving_a_message_numbers_it_too(room_name):
    one = Message.objects.create(room=room_name, username="alice", text="from the shell")
    two = Message.objects.create(room=room_name, username="alice", text="and another")

    assert (one.seq, two.seq) == (1, 2)
    assert Message.objects.head(room_name) == 2
    assert Message.objects.head("nobody-here") == 0


def test_a_number_taken_by_another_writer_meanwhile_is_retried(room_name, monkeypatch):
    # What two writers at once can do on PostgreSQL: both read the same newest number. Here the
    # first read is made to lie, as if another process had just inserted message 1.
    Message.objects.create(room=room_name, username="bob", text="from another process")
    real_head = MessageQuerySet.head
    lies = [0]

    def stale_head(self, room):
        return lies.pop() if lies else real_head(self, room)

    monkeypatch.setattr(MessageQuerySet, "head", stale_head)

    (stored,) = history.write_batch([unsaved(room_name, "mine")])

    assert stored.seq == 2
    assert list(Message.objects.in_room(room_name).values_list("seq", flat=True)) == [1, 2]
