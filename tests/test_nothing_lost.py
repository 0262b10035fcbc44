"""Nothing lost: the chat's delivery promises, through the real room page and real sockets,
against server processes that are killed, rooms that burst, pages that go away, and Redis that
goes down. Part of `make test`: a minute or so on one worker (servers started and stopped, a
browser, waits of seconds), beside the rest of the suite."""

import asyncio
import contextlib
import json
import re
import signal
import sqlite3
import threading
import time

import pytest
from playwright.sync_api import expect
from websockets.asyncio.client import connect as websocket_connect

from workbook.processes import start_redis, start_server, temporary_database

pytestmark = pytest.mark.browser
# `make test` runs every case on the deployment's server (uvicorn) and the layers each case is
# about; the same cases on daphne and on the other layers are marked slow (`make test-slow`,
# which CI runs as well), so that `make test` stays within its few minutes on 2 cores.
slow = pytest.mark.slow

TIMEOUT = 30  # seconds: every wait has an explicit limit, generous for a loaded machine
RESEND_WAIT = 1  # seconds before a message refused with "retry" goes again (room.js: the same)


# Helpers: the database, the page, and WebSocket clients running beside the browser.


def stored_messages(db_path, room):
    """[(seq, text)] of the room, read straight from the server's SQLite file."""
    with contextlib.closing(sqlite3.connect(db_path, timeout=TIMEOUT)) as database:
        query = "SELECT seq, text FROM chat_message WHERE room = ? ORDER BY seq"
        return database.execute(query, (room,)).fetchall()


def wait_for(condition, what, timeout=TIMEOUT):
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {timeout} s: {what}", pytrace=False)
        time.sleep(0.05)


@pytest.fixture(scope="module")
def migrated_database():
    """One migrated database for the module; each server gets a copy (see copy_of()), which is
    much quicker than a `migrate` of its own."""
    return temporary_database()


def copy_of(database, folder):
    """A copy of the SQLite file `database` in `folder`, made with SQLite's own backup."""
    copy = folder / "db.sqlite3"
    with (
        contextlib.closing(sqlite3.connect(database)) as source,
        contextlib.closing(sqlite3.connect(copy)) as target,
    ):
        source.backup(target)
    return copy


@pytest.fixture
def context(browser):
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT * 1000)
    yield context
    context.close()


def open_room(context, server, room, sockets=None):
    """The room page once its socket is open; the URL of every socket it opens goes into
    `sockets`, if given."""
    page = context.new_page()
    if sockets is not None:
        page.on("websocket", lambda socket: sockets.append(socket.url))
    page.goto(server.url(f"/chat/{room}/"))
    expect(page.locator('#chat-log[data-connected="true"]')).to_have_count(1)
    return page


def shown(page):
    """[(seq, text)] of every message the page shows, top to bottom."""
    rows = page.evaluate(
        """Array.from(document.querySelectorAll("#chat-log li"), (item) =>
               [Number(item.dataset.seq), item.querySelector(".text").textContent])"""
    )
    return [tuple(row) for row in rows]


def wait_until_shown(page, count):
    expect(page.locator("#chat-log li")).to_have_count(count, timeout=TIMEOUT * 1000)


class Clients:
    """WebSocket clients in a thread of their own (Playwright's sync API owns this thread's
    event loop). Each client records every chat frame it receives and every ack."""

    def __init__(self, server, room, count):
        self.url = server.ws_url(f"/ws/chat/{room}/")
        self.origin = server.origin
        self.count = count
        self.received = [[] for _ in range(count)]
        self.acked = {}  # client id -> seq
        self.refusals = []  # every error frame, in the order they came
        self.sent = {}  # client id -> (socket, text): what a refusal with "retry" sends again
        self.loop = asyncio.new_event_loop()
        self.sockets = []
        self.tasks = []  # readers and senders, cancelled by close()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.call(self._open())

    def call(self, coroutine, timeout=TIMEOUT):
        return asyncio.run_coroutine_threadsafe(coroutine, self.loop).result(timeout)

    async def _open(self):
        self.sockets = await asyncio.gather(
            *(
                websocket_connect(self.url, origin=self.origin, open_timeout=TIMEOUT)
                for _ in range(self.count)
            )
        )
        self.tasks += [
            asyncio.create_task(self._read(socket, frames))
            for socket, frames in zip(self.sockets, self.received, strict=True)
        ]

    async def _read(self, socket, frames):
        with contextlib.suppress(Exception):  # the server going away ends the read
            async for frame in socket:
                data = json.loads(frame)
                if "error" in data:
                    self.refusals.append(data)
                    if data.get("retry") and data.get("id") in self.sent:
                        # Not stored yet (the rate limit, say): send it again a little later,
                        # as room.js does. A client that gave up here would lose the message.
                        self.tasks.append(asyncio.create_task(self._resend(data["id"])))
                if "ack" in data:
                    self.acked[data["ack"]] = data["seq"]
                if "seq" in data:
                    frames.append((data["seq"], data["message"]))

    async def _send(self, socket, text):
        client_id = uid(text)
        self.sent[client_id] = (socket, text)
        await socket.send(json.dumps({"message": text, "id": client_id}))

    async def _resend(self, client_id):
        await asyncio.sleep(RESEND_WAIT)
        socket, text = self.sent[client_id]
        with contextlib.suppress(Exception):  # a closed socket: the test says what is missing
            await socket.send(json.dumps({"message": text, "id": client_id}))

    def wait_stored(self, texts, timeout=TIMEOUT):
        """Wait until the server has acknowledged every one of `texts` (stored it); fail at once,
        saying why, if it refuses one for good, or when `timeout` passes."""
        deadline = time.monotonic() + timeout
        waiting = {uid(text) for text in texts}
        while True:
            waiting -= self.acked.keys()
            final = [error for error in self.refusals if not error.get("retry")]
            if not waiting or final or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        if waiting or final:
            pytest.fail(
                f"{len(waiting)} of {len(texts)} messages not stored after {timeout} s "
                f"({sorted(waiting)[:5]}...); the server's refusals: {self.refusals}",
                pytrace=False,
            )

    def burst(self, per_client, prefix="burst"):
        """Every client sends `per_client` messages at once; returns the texts."""

        async def send_all():
            frames = [
                (socket, f"{prefix} {client}.{number}")
                for client, socket in enumerate(self.sockets)
                for number in range(per_client)
            ]
            await asyncio.gather(*(self._send(socket, text) for socket, text in frames))
            return [text for _, text in frames]

        return self.call(send_all())

    def steady(self, per_second):
        """Every client sends `per_second` messages a second, each on its own schedule, until
        the server goes away or close()."""

        async def one(client, socket):
            await asyncio.sleep(client / (self.count * per_second))  # spread over the interval
            number = 0
            with contextlib.suppress(Exception):
                while True:
                    await self._send(socket, f"steady {client}.{number}")
                    number += 1
                    await asyncio.sleep(1 / per_second)

        async def start():
            self.tasks += [asyncio.create_task(one(n, sock)) for n, sock in enumerate(self.sockets)]

        self.call(start())

    def distinct_received(self):
        """{(seq, text)} of every chat message any client received."""
        return {message for frames in self.received for message in list(frames)}

    def close(self):
        async def close_all():
            for task in self.tasks:
                task.cancel()
            await asyncio.gather(
                *(socket.close() for socket in self.sockets), return_exceptions=True
            )

        self.call(close_all())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(TIMEOUT)


def uid(text):
    """A client id for a message text: letters, digits and "-" only."""
    return re.sub(r"[^A-Za-z0-9]", "-", text)


# The server dies during steady traffic.


@pytest.mark.parametrize("server_name", ["uvicorn", pytest.param("daphne", marks=slow)])
@pytest.mark.parametrize("how", [signal.SIGTERM, signal.SIGKILL], ids=["SIGTERM", "SIGKILL"])
def test_every_message_anyone_received_is_in_history_after_the_server_dies(
    context, migrated_database, tmp_path, server_name, how
):
    server = start_server(server_name, db_path=copy_of(migrated_database, tmp_path))
    try:
        page = open_room(context, server, "steady")
        clients = Clients(server, "steady", 10)
        clients.steady(per_second=5)
        # Killed once the traffic really flows (10 clients, 5 a second: about a second), with
        # messages still on their way.
        wait_for(lambda: len(clients.distinct_received()) > 50, "50 messages received")
        server.process.send_signal(how)
        server.process.wait(TIMEOUT)
        seen_by_page = shown(page)
        clients.close()
    finally:
        server.stop()

    history = set(stored_messages(server.db_path, "steady"))
    received = clients.distinct_received()
    assert len(received) > 50  # the traffic really flowed
    assert received - history == set()
    assert set(seen_by_page) - history == set()
    acked = {seq for seq in clients.acked.values()}
    assert acked - {seq for seq, _ in history} == set()
    texts = [text for _, text in history]
    assert len(texts) == len(set(texts))  # resends stored once


# A burst fills the channels.


LAYERS = ["memory", "redis-core", "redis-pubsub"]


@pytest.fixture(scope="module")
def layer_env(request):
    if request.param == "memory":
        yield {}
        return
    redis_server = request.getfixturevalue("redis_server")
    yield {"REDIS_URL": redis_server.url, "CHANNEL_LAYER": request.param.removeprefix("redis-")}


@pytest.fixture(scope="module")
def server(layer_env, migrated_database, tmp_path_factory):
    database = copy_of(migrated_database, tmp_path_factory.mktemp("database"))
    with start_server("daphne", env=layer_env, db_path=database) as server:
        yield server


@pytest.mark.parametrize("layer_env", LAYERS, indirect=True)
def test_a_page_in_a_burst_of_200_messages_from_20_sockets_shows_each_once_in_order(
    context, server
):
    room = f"burst-{time.monotonic_ns()}"
    page = open_room(context, server, room)
    clients = Clients(server, room, 20)
    try:
        sent = clients.burst(per_client=10)  # the rate limit's burst: all of them accepted
        clients.wait_stored(sent)
        assert clients.refusals == []
        wait_until_shown(page, 200)
    finally:
        clients.close()
    messages = shown(page)
    assert [seq for seq, _ in messages] == list(range(1, 201))
    assert sorted(text for _, text in messages) == sorted(sent)
    assert messages == stored_messages(server.db_path, room)


# A page away from the room.


class Gate:
    """Stands between a page and its chat socket: open, frames pass; shut, the socket is cut and
    every new one refused, as when a laptop loses its network."""

    def __init__(self, page):
        self.is_open = True
        self.routes = []
        page.route_web_socket(re.compile(r".*/ws/chat/.*"), self.handle)

    def handle(self, route):
        if not self.is_open:
            route.close()
            return
        route.connect_to_server()
        self.routes.append(route)

    def shut(self):
        self.is_open = False
        for route in self.routes:
            route.close()
        self.routes.clear()

    def open(self):
        self.is_open = True


@contextlib.contextmanager
def explained(page, server, room, clients):
    """On a failure, print what it takes to see why (pytest shows it with the failure): the
    page's state and the frames it received, what the clients were refused, the room's rows,
    the server's log."""
    frames = []  # (the socket's query, seq or error) of every frame the page received

    def watch(socket):
        query = socket.url.partition("?")[2]  # "after=8" on a reconnect

        def received(payload):
            with contextlib.suppress(ValueError, TypeError, AttributeError):
                data = json.loads(payload)
                frames.append((query, data.get("seq", data.get("error"))))

        socket.on("framereceived", received)

    page.on("websocket", watch)
    try:
        yield
    except BaseException:
        state = page.evaluate(
            """({lastSeq, early: [...early.keys()], connected: log.dataset.connected,
                 status: status.textContent,
                 shown: document.querySelectorAll("#chat-log li").length})"""
        )
        print("the page:", state)
        print("frames the page received (its socket's query, seq or error):", frames)
        print("the clients' refusals:", clients.refusals)
        print("acknowledged:", len(clients.acked))
        print("stored (seq):", [seq for seq, _ in stored_messages(server.db_path, room)])
        print(f"the server's log:\n{server.tail(50)}")
        raise


@pytest.mark.parametrize(
    "layer_env",
    ["redis-core", pytest.param("memory", marks=slow), pytest.param("redis-pubsub", marks=slow)],
    indirect=True,
)
def test_a_page_away_while_80_messages_are_sent_shows_each_once_in_order(context, server):
    room = f"away-{time.monotonic_ns()}"
    page = context.new_page()
    gate = Gate(page)
    clients = Clients(server, room, 8)
    try:
        with explained(page, server, room, clients):
            page.goto(server.url(f"/chat/{room}/"))
            expect(page.locator('#chat-log[data-connected="true"]')).to_have_count(1)
            clients.wait_stored(clients.burst(per_client=1, prefix="before"))
            wait_until_shown(page, 8)

            gate.shut()
            expect(page.locator('#chat-log[data-connected="false"]')).to_have_count(1)
            # Each client sends 11 messages within a second or so, one more than its rate limit's
            # burst: when the two bursts come close together the server refuses the last with
            # "retry", and it goes again a second later, as the page would send it.
            sent = clients.burst(per_client=10, prefix="away")
            clients.wait_stored(sent)
            gate.open()

            wait_until_shown(page, 88)
            messages = shown(page)
            assert [seq for seq, _ in messages] == list(range(1, 89))
            assert sorted(text for _, text in messages[8:]) == sorted(sent)
    finally:
        clients.close()


# Redis goes down.


def send_from_page(page, text):
    page.locator("#chat-message-input").fill(text)
    page.locator("#chat-message-input").press("Enter")


@pytest.mark.redis
@pytest.mark.parametrize("layer", ["core", pytest.param("pubsub", marks=slow)])
def test_a_message_typed_during_a_redis_outage_is_neither_lost_nor_duplicated(
    context, redis_server, migrated_database, tmp_path, layer
):
    redis = start_redis()  # one of its own: this test stops it
    # Whichever Redis is running when the test ends, passed or failed, is stopped.
    try:
        room = "outage"
        env = {"REDIS_URL": redis.url, "CHANNEL_LAYER": layer}
        database = copy_of(migrated_database, tmp_path)
        with start_server("daphne", env=env, db_path=database) as server:
            typer_sockets = []
            typer = open_room(context, server, room, sockets=typer_sockets)
            watcher = open_room(context, server, room)
            send_from_page(typer, "before the outage")
            wait_until_shown(watcher, 1)

            redis.stop()
            send_from_page(typer, "during the outage")
            # Stored and acknowledged (the page shows it); the page says the room is unreachable.
            wait_until_shown(typer, 2)
            expect(typer.locator("#chat-status")).to_contain_text("stored")
            expect(typer.locator("#chat-outbox li")).to_have_count(0)

            redis = start_redis(port=redis.port)  # back, and empty, like a restart
            send_from_page(typer, "after the outage")
            for page in (typer, watcher):
                wait_until_shown(page, 3)
            assert len(typer_sockets) == 1  # the outage never cut the typer's socket
            expected = [
                (1, "before the outage"),
                (2, "during the outage"),
                (3, "after the outage"),
            ]
            assert shown(typer) == shown(watcher) == expected
            assert stored_messages(server.db_path, room) == expected
    finally:
        redis.stop()


@pytest.mark.redis
@slow
def test_after_a_long_redis_outage_a_room_catches_up_without_waiting_for_its_check(
    context, redis_server, migrated_database, tmp_path
):
    """A restarted Redis has forgotten every group. The server's layer notices only at its next
    try, and its pauses between tries have grown to seconds by then: a message sent meanwhile
    reaches no one live. The layer then tells each socket, and the chat sends the room's newest
    messages again, so the other page shows it now, not at its own check every 30 s.

    The core layer only (mysite.layers); channels_redis' pubsub layer gives no such signal."""
    redis = start_redis()
    # Whichever Redis is running when the test ends, passed or failed, is stopped.
    try:
        env = {"REDIS_URL": redis.url, "CHANNEL_LAYER": "core"}
        database = copy_of(migrated_database, tmp_path)
        with start_server("daphne", env=env, db_path=database) as server:
            typer = open_room(context, server, "long-outage")
            watcher = open_room(context, server, "long-outage")
            send_from_page(typer, "before the outage")
            wait_until_shown(watcher, 1)

            redis.stop()
            # The outage: long enough for the layer's pauses between tries to reach seconds.
            time.sleep(6)
            redis = start_redis(port=redis.port)  # back, and empty, like a restart
            send_from_page(typer, "after the outage")
            wait_until_shown(typer, 2)
            # Well inside the page's 30-second check: only the layer's signal can deliver it.
            expect(watcher.locator("#chat-log li")).to_have_count(2, timeout=15_000)
            expected = [(1, "before the outage"), (2, "after the outage")]
            assert shown(watcher) == expected
    finally:
        redis.stop()
