"""The ASGI tracer, on small raw apps called directly: no server, no network."""

import asyncio
import importlib

import pytest
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.testing import WebsocketCommunicator
from IPython.core.formatters import DisplayFormatter

from workbook import Tracer, database_trips
from workbook.trips import TRIP_MODULES


async def hello_app(scope, receive, send):
    """Lesson 01's kind of app: answers any request with a greeting."""
    event = await receive()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/plain")],
        }
    )
    await send({"type": "http.response.body", "body": b"Hello, " + event["body"]})


async def shout_app(scope, receive, send):
    """A WebSocket app: accepts, answers each message in capitals, stops at disconnect."""
    while True:
        event = await receive()
        if event["type"] == "websocket.connect":
            await send({"type": "websocket.accept"})
        elif event["type"] == "websocket.receive":
            await send({"type": "websocket.send", "text": event["text"].upper()})
        elif event["type"] == "websocket.disconnect":
            return


HTTP_SCOPE = {
    "type": "http",
    "asgi": {"version": "3.0"},
    "http_version": "1.1",
    "method": "POST",
    "path": "/hello/",
    "query_string": b"lang=en",
    "headers": [
        (b"host", b"127.0.0.1:54321"),
        (b"user-agent", b"python-httpx/0.28"),
        (b"content-type", b"text/plain"),
        (b"cookie", b"csrftoken=abc; sessionid=secret"),
    ],
    "client": ("127.0.0.1", 60123),
    "server": ("127.0.0.1", 54321),
}

WEBSOCKET_SCOPE = {
    "type": "websocket",
    "path": "/ws/shout/",
    "query_string": b"",
    "headers": [
        (b"host", b"127.0.0.1:54321"),
        (b"origin", b"http://127.0.0.1:54321"),
        (b"upgrade", b"websocket"),
        (b"sec-websocket-key", b"dGhlIHNhbXBsZSBub25jZQ=="),
    ],
    "subprotocols": [],
    "client": ("127.0.0.1", 60124),
}


async def call(app, scope, events):
    """Runs `app` once, feeding it `events`; returns what it sent."""
    incoming = list(events)
    sent = []

    async def receive():
        return incoming.pop(0)

    async def send(event):
        sent.append(event)

    await asyncio.wait_for(app(scope, receive, send), timeout=5)
    return sent


async def test_tracer_passes_everything_through_unchanged():
    tracer = Tracer(hello_app)
    sent = await call(tracer, HTTP_SCOPE, [{"type": "http.request", "body": b"world"}])
    assert sent == await call(hello_app, HTTP_SCOPE, [{"type": "http.request", "body": b"world"}])


async def test_table_text_shows_the_http_and_websocket_sequence():
    tracer = Tracer(hello_app)
    await call(tracer, HTTP_SCOPE, [{"type": "http.request", "body": b"world"}])
    shout = Tracer(shout_app)
    await call(
        shout,
        WEBSOCKET_SCOPE,
        [
            {"type": "websocket.connect"},
            {"type": "websocket.receive", "text": "hi"},
            {"type": "websocket.disconnect", "code": 1000},
        ],
    )
    assert repr(tracer.table()) == (
        "conn  call       type                 details\n"
        "1     scope      http                 POST /hello/?lang=en "
        "[content-type: text/plain, cookie: csrftoken; sessionid]\n"
        "1     receive()  http.request         body=b'world'\n"
        "1     send()     http.response.start  status=200 headers=[content-type: text/plain]\n"
        "1     send()     http.response.body   body=b'Hello, world'"
    )
    assert repr(shout.table()) == (
        "conn  call       type                  details\n"
        "1     scope      websocket             /ws/shout/ "
        "[origin: http://127.0.0.1:PORT, upgrade: websocket]\n"
        "1     receive()  websocket.connect\n"
        "1     send()     websocket.accept\n"
        "1     receive()  websocket.receive     text='hi'\n"
        "1     send()     websocket.send        text='HI'\n"
        "1     receive()  websocket.disconnect  code=1000"
    )


async def test_table_renders_html_for_jupyter():
    tracer = Tracer(hello_app)
    await call(tracer, HTTP_SCOPE, [{"type": "http.request", "body": b"<b>"}])
    data, _ = DisplayFormatter().format(tracer.table())
    assert data["text/plain"] == repr(tracer.table())
    assert data["text/html"].startswith("<table>")
    assert "<code>body=b&#x27;&lt;b&gt;&#x27;</code>" in data["text/html"]


async def test_sequence_diagram_is_mermaid_in_markdown():
    tracer = Tracer(shout_app)
    await call(
        tracer,
        WEBSOCKET_SCOPE,
        [{"type": "websocket.connect"}, {"type": "websocket.disconnect", "code": 1001}],
    )
    await call(tracer, WEBSOCKET_SCOPE, [{"type": "websocket.disconnect", "code": 1006}])
    diagram = tracer.sequence_diagram()
    assert repr(diagram) == (
        "sequenceDiagram\n"
        "    participant S as server\n"
        "    participant A as shout_app\n"
        "    S->>A: [1] scope websocket /ws/shout/ "
        "[origin: http://127.0.0.1:PORT, upgrade: websocket]\n"
        "    S->>A: [1] websocket.connect\n"
        "    A-->>S: [1] websocket.accept\n"
        "    S->>A: [1] websocket.disconnect code=1001\n"
        "    S->>A: [2] scope websocket /ws/shout/ "
        "[origin: http://127.0.0.1:PORT, upgrade: websocket]\n"
        "    S->>A: [2] websocket.disconnect code=1006"
    )
    data, _ = DisplayFormatter().format(diagram)
    assert data["text/markdown"] == f"```mermaid\n{diagram!r}\n```"
    assert data["text/vnd.mermaid"] == data["text/plain"] == repr(diagram)


async def test_long_bodies_are_cut_and_mermaid_specials_escaped():
    async def app(scope, receive, send):
        await receive()
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"x;" * 100})

    tracer = Tracer(app, name="long")
    await call(tracer, HTTP_SCOPE, [{"type": "http.request", "body": b""}])
    body = tracer.events[-1].details
    assert body == f"body={b'x;' * 30!r}… (200 bytes)"
    assert "body=b'x#59;x#59;" in repr(tracer.sequence_diagram())


async def test_errors_are_recorded_and_raised():
    async def broken(scope, receive, send):
        await receive()
        raise ValueError("no route for this path")

    tracer = Tracer(broken)
    with pytest.raises(ValueError, match="no route"):
        await call(tracer, HTTP_SCOPE, [{"type": "http.request", "body": b""}])
    assert repr(tracer.table()).splitlines()[-1] == (
        "1     raised     ValueError    'no route for this path'"
    )
    assert repr(tracer.sequence_diagram()).endswith(
        "    Note over A: raised ValueError 'no route for this path'"
    )


async def test_events_are_bounded_and_clear_starts_again():
    tracer = Tracer(hello_app, limit=3)
    for _ in range(2):
        await call(tracer, HTTP_SCOPE, [{"type": "http.request", "body": b"x"}])
    assert len(tracer.events) == 3
    assert repr(tracer.table()).startswith("(5 earlier events not kept)\nconn")
    assert "5 earlier events not kept" in repr(tracer.sequence_diagram())
    tracer.clear()
    assert repr(tracer.table()) == "(no events recorded)"
    await call(tracer, HTTP_SCOPE, [{"type": "http.request", "body": b"x"}])
    assert tracer.events[0].connection == 1


async def test_consumer_classes_are_wrapped_with_as_asgi():
    from channels.generic.websocket import AsyncWebsocketConsumer

    class Accepting(AsyncWebsocketConsumer):
        pass

    tracer = Tracer(Accepting)
    assert tracer.name == "Accepting"
    with pytest.raises(TypeError, match="without as_asgi"):
        Tracer(dict)


class Echo(AsyncWebsocketConsumer):
    async def receive(self, text_data=None, bytes_data=None):
        await self.send(text_data=text_data)


class Shout(Echo):
    async def receive(self, text_data=None, bytes_data=None):
        await self.send(text_data=text_data.upper())


async def no_database():
    pass


@pytest.fixture
def without_database(monkeypatch):
    """Channels' trips lead nowhere: the real close_old_connections() needs database access."""
    for module in TRIP_MODULES:
        monkeypatch.setattr(f"{module}.aclose_old_connections", no_database)


async def test_database_trips_counts_every_trip_channels_makes_and_puts_channels_back(
    without_database,
):
    communicator = WebsocketCommunicator(Echo.as_asgi(), "/")
    with database_trips() as trips:
        connected, _ = await communicator.connect(timeout=5)
        assert connected
        await communicator.send_to(text_data="hello")
        assert await communicator.receive_from(timeout=5) == "hello"
        assert trips.count == 2  # websocket.connect, websocket.receive
        await communicator.disconnect(timeout=5)
        assert trips.count == 4  # and two for websocket.disconnect: before and after disconnect()
    assert repr(trips) == "<4 trips to the database thread: {'Echo': 4}>"

    for module in TRIP_MODULES:
        assert importlib.import_module(module).aclose_old_connections is no_database


async def test_database_trips_of_one_consumer_class_leave_other_consumers_out(without_database):
    with database_trips(Shout) as trips:
        for consumer in (Echo, Shout):
            communicator = WebsocketCommunicator(consumer.as_asgi(), "/")
            connected, _ = await communicator.connect(timeout=5)
            assert connected
            await communicator.send_to(text_data="hello")
            await communicator.receive_from(timeout=5)
            await communicator.disconnect(timeout=5)
    assert trips.by_consumer == {"Shout": 4}
