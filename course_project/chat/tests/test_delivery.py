"""ChatConsumer's delivery promises: acknowledged sends, resends stored once, resuming after a
reconnect and fetching holes without gaps or repeats, and what a failing database or channel
layer does to the sender."""

import asyncio
import time

import pytest
from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.db import OperationalError

from chat import consumers, history
from chat.history import write_batch
from chat.models import Message
from chat.rooms import room_group_name
from mysite.websocket import encode

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 10


def chat_path(room, after=None):
    return f"/ws/chat/{room}/" + ("" if after is None else f"?after={after}")


async def add_messages(room, count, start=1):
    for number in range(start, start + count):
        await Message.objects.acreate(room=room, username="alice", text=f"message {number}")


async def receive_all(socket):
    """Every frame that arrives before the socket goes quiet."""
    frames = []
    while not await socket.receive_nothing(timeout=0.2):
        frames.append(await socket.receive_json_from(timeout=TIMEOUT))
    return frames


async def stored(room):
    return [(m.seq, m.text) async for m in Message.objects.in_room(room)]


# Acknowledged sends.


async def test_a_message_with_an_id_is_acknowledged_with_its_number(websocket, room_name):
    sender = await websocket(chat_path(room_name))
    listener = await websocket(chat_path(room_name))

    await sender.send_json_to({"message": "hello", "id": "c-1"})

    # The sender gets its acknowledgement and its copy as a member of the room, in either order.
    frames = [await sender.receive_json_from(timeout=TIMEOUT) for _ in range(2)]
    (ack,) = [frame for frame in frames if "ack" in frame]
    assert ack["ack"] == "c-1"
    assert (ack["seq"], ack["message"], ack["user"]) == (1, "hello", "anonymous")
    copy = await listener.receive_json_from(timeout=TIMEOUT)
    assert "ack" not in copy  # the others never see a sender's id
    assert {key: copy[key] for key in ("seq", "message", "timestamp")} == {
        key: ack[key] for key in ("seq", "message", "timestamp")
    }
    assert await stored(room_name) == [(1, "hello")]


async def test_a_resend_is_acknowledged_again_and_stored_once(websocket, room_name):
    sender = await websocket(chat_path(room_name))
    await sender.send_json_to({"message": "are you there?", "id": "c-7"})
    first = await sender.receive_json_from(timeout=TIMEOUT)
    await sender.receive_json_from(timeout=TIMEOUT)  # its broadcast copy

    # The page reconnected without seeing the ack and sends again, from a new socket.
    again = await websocket(chat_path(room_name, after=0))
    assert (await again.receive_json_from(timeout=TIMEOUT))["seq"] == 1  # the resume
    await again.send_json_to({"message": "are you there?", "id": "c-7"})

    ack = await again.receive_json_from(timeout=TIMEOUT)
    assert (ack["ack"], ack["seq"], ack["timestamp"]) == ("c-7", 1, first["timestamp"])
    assert await stored(room_name) == [(1, "are you there?")]


@pytest.mark.parametrize(
    ("frame", "expected"),
    [
        pytest.param({"message": "", "id": "c-2"}, {"id": "c-2"}, id="blank"),
        pytest.param({"message": 42, "id": "c-3"}, {"id": "c-3"}, id="not-a-string"),
    ],
)
async def test_a_refused_message_is_named_by_its_id(websocket, room_name, frame, expected):
    sender = await websocket(chat_path(room_name))

    await sender.send_json_to(frame)

    reply = await sender.receive_json_from(timeout=TIMEOUT)
    assert reply.keys() == {"error", "id"}
    assert reply["id"] == expected["id"]
    assert await stored(room_name) == []


@pytest.mark.parametrize(
    "client_id",
    [
        pytest.param("", id="empty"),
        pytest.param("x" * 65, id="too-long"),
        pytest.param("a b", id="space"),
        pytest.param(7, id="number"),
    ],
)
async def test_a_bad_id_is_refused(websocket, room_name, client_id):
    sender = await websocket(chat_path(room_name))

    await sender.send_json_to({"message": "hi", "id": client_id})

    assert '"id"' in (await sender.receive_json_from(timeout=TIMEOUT))["error"]
    assert await stored(room_name) == []


async def test_over_the_rate_limit_the_sender_is_told_to_try_again(websocket, room_name, settings):
    settings.CHAT_RATE_LIMIT = 1
    settings.CHAT_RATE_BURST = 1
    sender = await websocket(chat_path(room_name))
    await sender.send_json_to({"message": "one", "id": "a"})
    frames = [await sender.receive_json_from(timeout=TIMEOUT) for _ in range(2)]  # ack and copy
    assert [frame["ack"] for frame in frames if "ack" in frame] == ["a"]

    await sender.send_json_to({"message": "two", "id": "b"})

    reply = await sender.receive_json_from(timeout=TIMEOUT)
    assert (reply["id"], reply["retry"]) == ("b", True)


async def test_a_sockets_next_frames_are_read_while_its_messages_are_written(
    websocket, room_name, monkeypatch
):
    batches = []

    def slow_write(messages):
        batches.append(len(messages))
        time.sleep(0.2)  # a slow disk
        return write_batch(messages)

    monkeypatch.setattr(history, "write_batch", slow_write)
    monkeypatch.setattr(history, "_writers", {})  # a new writer, which uses the one above
    sender = await websocket(chat_path(room_name))

    for number in range(5):
        await sender.send_json_to({"message": f"m{number}", "id": f"c{number}"})

    frames = [await sender.receive_json_from(timeout=TIMEOUT) for _ in range(10)]  # acks, copies
    acks = [frame for frame in frames if "ack" in frame]
    assert [(ack["ack"], ack["seq"]) for ack in acks] == [(f"c{n}", n + 1) for n in range(5)]
    assert len(batches) < 5  # frames that came during a write went together into the next


async def test_a_socket_that_closes_leaves_what_it_sent_stored(websocket, room_name, monkeypatch):
    def slow_write(messages):
        time.sleep(0.3)  # still writing when the socket closes
        return write_batch(messages)

    monkeypatch.setattr(history, "write_batch", slow_write)
    monkeypatch.setattr(history, "_writers", {})  # a new writer, which uses the one above
    sender = await websocket(chat_path(room_name))

    await sender.send_json_to({"message": "last words", "id": "c-9"})
    await sender.disconnect(timeout=TIMEOUT)  # returns once the consumer has ended

    assert await stored(room_name) == [(1, "last words")]


async def test_a_client_that_does_not_read_its_acks_holds_up_no_one_else(
    websocket, room_name, monkeypatch
):
    stuck = asyncio.Event()
    real_send_json = consumers.ChatConsumer.send_json

    async def send_json(self, content, close=False):
        if content.get("ack") == "slow":
            await stuck.wait()  # as a send waits on a server with backpressure (uvicorn)
        await real_send_json(self, content, close)

    monkeypatch.setattr(consumers.ChatConsumer, "send_json", send_json)
    slow = await websocket(chat_path(room_name))
    quick = await websocket(chat_path(room_name))
    try:
        await slow.send_json_to({"message": "first", "id": "slow"})
        await quick.receive_json_from(timeout=TIMEOUT)  # the room got it

        await quick.send_json_to({"message": "second", "id": "quick"})

        frames = [await quick.receive_json_from(timeout=TIMEOUT) for _ in range(2)]
        assert [frame.get("ack") for frame in frames if "ack" in frame] == ["quick"]
    finally:
        stuck.set()


# Faults: the database, the channel layer.


async def test_when_storing_fails_the_sender_keeps_its_message_and_its_socket(
    websocket, room_name, monkeypatch
):
    def locked(messages):
        raise OperationalError("database is locked")

    monkeypatch.setattr(history, "write_batch", locked)
    monkeypatch.setattr(history, "_writers", {})  # a new writer, which uses the one above
    sender = await websocket(chat_path(room_name))
    listener = await websocket(chat_path(room_name))

    await sender.send_json_to({"message": "important", "id": "c-9"})

    reply = await sender.receive_json_from(timeout=TIMEOUT)
    assert reply == {"error": consumers.STORE_FAILED, "id": "c-9", "retry": True}
    assert await listener.receive_nothing()  # nothing unstored is ever shown
    assert await stored(room_name) == []


async def test_when_the_layer_is_down_the_message_is_stored_and_the_sender_told(
    websocket, room_name, monkeypatch
):
    sender = await websocket(chat_path(room_name))

    async def unreachable(self, group, message):
        raise ConnectionError("Error 111 connecting to 127.0.0.1:6379")

    monkeypatch.setattr(InMemoryChannelLayer, "group_send", unreachable)
    await sender.send_json_to({"message": "during the outage", "id": "c-4"})

    ack = await sender.receive_json_from(timeout=TIMEOUT)
    assert (ack["ack"], ack["seq"]) == ("c-4", 1)
    assert await sender.receive_json_from(timeout=TIMEOUT) == {"error": consumers.UNREACHABLE}
    assert await stored(room_name) == [(1, "during the outage")]

    # A page that comes back afterwards gets it: it was stored.
    monkeypatch.undo()
    late = await websocket(chat_path(room_name, after=0))
    assert (await late.receive_json_from(timeout=TIMEOUT))["message"] == "during the outage"


# Resuming.


async def test_resuming_sends_exactly_the_messages_after_the_last_one_in_order(
    websocket, room_name, monkeypatch, settings
):
    settings.CHAT_HISTORY = 5
    monkeypatch.setattr(consumers, "REPLAY_CHUNK", 3)  # several chunks for 9 messages
    await add_messages(room_name, 12)

    socket = await websocket(chat_path(room_name, after=3))

    frames = await receive_all(socket)
    assert [frame["seq"] for frame in frames] == list(range(4, 13))
    assert not any(frame.get("history") for frame in frames)


async def test_resuming_when_nothing_was_missed_sends_nothing(websocket, room_name):
    await add_messages(room_name, 2)

    socket = await websocket(chat_path(room_name, after=2))

    assert await socket.receive_nothing()


async def test_a_bad_resume_point_gets_an_error_and_the_usual_history(websocket, room_name):
    await add_messages(room_name, 2)

    socket = await websocket(chat_path(room_name, after="last"))

    frames = await receive_all(socket)
    assert "error" in frames[0]
    assert [(frame["seq"], frame["history"]) for frame in frames[1:]] == [(1, True), (2, True)]


async def test_the_seam_between_replay_and_live_drops_repeats_only(websocket, room_name):
    await add_messages(room_name, 3)
    socket = await websocket(chat_path(room_name, after=0))
    assert [frame["seq"] for frame in await receive_all(socket)] == [1, 2, 3]

    # Broadcasts of 2 and 3 raced the replay; 4 is new.
    messages = [
        [seq, encode({"seq": seq, "message": f"live {seq}", "user": "bob", "timestamp": "t"})]
        for seq in (2, 3, 4)
    ]
    event = {"type": "chat.message", "messages": messages}
    await get_channel_layer().group_send(room_group_name(room_name), event)

    assert [frame["seq"] for frame in await receive_all(socket)] == [4]


# Fetching holes.


async def test_fetch_sends_the_range_asked_for(websocket, room_name):
    await add_messages(room_name, 6)
    socket = await websocket(chat_path(room_name, after=6))

    await socket.send_json_to({"type": "fetch", "after": 1, "before": 4})
    assert [frame["seq"] for frame in await receive_all(socket)] == [2, 3]

    await socket.send_json_to({"type": "fetch", "after": 4})
    assert [frame["seq"] for frame in await receive_all(socket)] == [5, 6]


@pytest.mark.parametrize(
    "frame",
    [
        pytest.param({"type": "fetch"}, id="no-after"),
        pytest.param({"type": "fetch", "after": -1}, id="negative"),
        pytest.param({"type": "fetch", "after": "3"}, id="string"),
        pytest.param({"type": "fetch", "after": True}, id="boolean"),
        pytest.param({"type": "fetch", "after": 1, "before": 2.5}, id="fractional-before"),
    ],
)
async def test_a_bad_fetch_gets_an_error_and_the_socket_stays(websocket, room_name, frame):
    await add_messages(room_name, 2)
    socket = await websocket(chat_path(room_name, after=2))

    await socket.send_json_to(frame)

    assert "error" in await socket.receive_json_from(timeout=TIMEOUT)
    await socket.send_json_to({"type": "fetch", "after": 1})
    assert (await socket.receive_json_from(timeout=TIMEOUT))["seq"] == 2


async def test_fetches_are_rate_limited(websocket, room_name, settings):
    settings.CHAT_RATE_LIMIT = 1
    settings.CHAT_RATE_BURST = 1
    socket = await websocket(chat_path(room_name))

    await socket.send_json_to({"type": "fetch", "after": 0})
    await socket.send_json_to({"type": "fetch", "after": 0})

    reply = await socket.receive_json_from(timeout=TIMEOUT)
    assert reply["retry"] is True
