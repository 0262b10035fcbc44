"""Watching the ASGI conversation: what the server hands an application and what it sends back.

`Tracer(app)` is itself an ASGI application. It passes every call through to `app` and writes down
the scope and each event on the way (`receive`: server to application, `send`: application to
server), so a lesson can show the protocol as a table or a sequence diagram:

    traced = Tracer(hello_app)
    server.mount_http("hello/", traced)      # or call it directly with a fake receive/send
    ...
    traced.table()
    traced.sequence_diagram()

The text forms are deterministic for the same conversation (no times, ports, ids; long bodies cut
short), because the plain-text output is what nbval compares.
"""

import collections
import html
import itertools
import re
import threading
from dataclasses import dataclass

from IPython.display import Markdown

from workbook.asgi import asgi_application

__all__ = ["Tracer"]

#: Headers worth showing in a scope; the rest (host, user-agent, keys...) are noise or vary per run.
INTERESTING_HEADERS = (
    "origin",
    "upgrade",
    "content-type",
    "content-length",
    "cookie",
    "sec-websocket-protocol",
)
#: Characters of a body or text frame shown before it is cut short.
BODY_LIMIT = 60

_PORT = re.compile(r"(//[^/\s:]+):\d+")


def _shorten(value, limit=BODY_LIMIT):
    """repr() of a body or text, cut to `limit` characters with the full length noted."""
    if len(value) <= limit:
        return repr(value)
    unit = "bytes" if isinstance(value, bytes) else "characters"
    return f"{value[:limit]!r}… ({len(value)} {unit})"


def _without_port(value):
    # Ports change on every run (servers bind port 0); the rest of an origin is what matters.
    return _PORT.sub(r"\1:PORT", value)


def _headers(headers, interesting=None):
    shown = []
    for name, value in headers or ():
        name = name.decode("latin-1").lower()
        if interesting is not None and name not in interesting:
            continue
        value = value.decode("latin-1")
        if name == "cookie":
            # Session ids are secrets and differ per run: show which cookies, not their values.
            value = "; ".join(part.split("=", 1)[0].strip() for part in value.split(";"))
        elif name == "set-cookie":
            value = value.split("=", 1)[0] + "=…"
        shown.append(f"{name}: {_without_port(value)}")
    return ", ".join(shown)


def summarize_scope(scope):
    """The parts of a scope a reader wants: type, method, path, query and a few headers."""
    parts = []
    if "method" in scope:
        parts.append(scope["method"])
    if "path" in scope:
        query = scope.get("query_string", b"").decode("latin-1")
        parts.append(scope["path"] + (f"?{query}" if query else ""))
    headers = _headers(scope.get("headers"), INTERESTING_HEADERS)
    if headers:
        parts.append(f"[{headers}]")
    if scope.get("subprotocols"):
        parts.append(f"subprotocols={list(scope['subprotocols'])}")
    route = scope.get("url_route")
    if route and route.get("kwargs"):
        parts.append(f"url_route={route['kwargs']}")
    if "user" in scope:
        parts.append(f"user={scope['user']}")
    return " ".join(parts)


def summarize_event(event):
    """An event's fields other than its type, short and stable."""
    parts = []
    for key, value in event.items():
        if key == "type" or value is None:
            continue
        if key == "more_body" and not value:
            continue
        if key == "headers":
            value = f"[{_headers(value)}]"
        elif isinstance(value, bytes | str):
            value = _shorten(value)
        parts.append(f"{key}={value}")
    return " ".join(parts)


@dataclass(frozen=True)
class TraceEvent:
    """One line of a trace: which connection, which way, what type, and a short description."""

    connection: int
    direction: str  # "scope", "receive" (server → app), "send" (app → server) or "raised"
    type: str
    details: str


#: How each kind of event reaches the app: its scope, the events it awaits, the events it sends.
CALLS = {"scope": "scope", "receive": "receive()", "send": "send()", "raised": "raised"}


class Tracer:
    """An ASGI application that records the conversation between the server and `app`."""

    def __init__(self, app, *, name=None, limit=500):
        self.app = asgi_application(app)
        self.name = name or getattr(app, "__name__", type(app).__name__)
        self.events = collections.deque(maxlen=limit)
        self.dropped = 0
        self._lock = threading.Lock()
        self._connections = itertools.count(1)

    async def __call__(self, scope, receive, send):
        with self._lock:
            connection = next(self._connections)
        self._record(connection, "scope", scope["type"], summarize_scope(scope))

        async def traced_receive():
            event = await receive()
            self._record(connection, "receive", event["type"], summarize_event(event))
            return event

        async def traced_send(event):
            self._record(connection, "send", event["type"], summarize_event(event))
            await send(event)

        try:
            return await self.app(scope, traced_receive, traced_send)
        except Exception as error:
            self._record(connection, "raised", type(error).__name__, _shorten(str(error)))
            raise

    def _record(self, connection, direction, type_, details):
        # Called from the server's thread while a cell may be reading: one lock keeps both sane.
        with self._lock:
            if len(self.events) == self.events.maxlen:
                self.dropped += 1
            self.events.append(TraceEvent(connection, direction, type_, details))

    def clear(self):
        """Forget every event and number the next connection 1 again."""
        with self._lock:
            self.events.clear()
            self.dropped = 0
            self._connections = itertools.count(1)

    def snapshot(self):
        with self._lock:
            return list(self.events), self.dropped

    def table(self):
        """The events so far, as an HTML table in Jupyter and aligned columns as text."""
        return TraceTable(*self.snapshot())

    def sequence_diagram(self):
        """The events so far as a Mermaid sequence diagram (rendered by JupyterLab's Markdown)."""
        events, dropped = self.snapshot()
        return SequenceDiagram(events, dropped, app_name=self.name)

    def __repr__(self):
        return f"<Tracer of {self.name}: {len(self.events)} events>"


class TraceTable:
    """Displays trace events: `_repr_html_` for Jupyter, `repr()` for text (what nbval compares)."""

    columns = ("conn", "call", "type", "details")

    def __init__(self, events, dropped=0):
        self.events = events
        self.dropped = dropped

    def rows(self):
        return [(str(e.connection), CALLS[e.direction], e.type, e.details) for e in self.events]

    def _note(self):
        return f"({self.dropped} earlier events not kept)" if self.dropped else ""

    def __repr__(self):
        rows = self.rows()
        if not rows:
            return "(no events recorded)"
        widths = [max(len(row[i]) for row in [self.columns, *rows]) for i in range(3)]
        lines = [
            "  ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=False))
            + "  "
            + row[3]
            for row in [self.columns, *rows]
        ]
        lines = [line.rstrip() for line in lines]
        if self.dropped:
            lines.insert(0, self._note())
        return "\n".join(lines)

    def _repr_html_(self):
        head = "".join(f"<th style='text-align:left'>{c}</th>" for c in self.columns)
        body = "".join(
            "<tr>"
            + "".join(
                f"<td style='text-align:left'><code>{html.escape(cell)}</code></td>"
                if index in (2, 3)
                else f"<td style='text-align:left'>{html.escape(cell)}</td>"
                for index, cell in enumerate(row)
            )
            + "</tr>"
            for row in self.rows()
        )
        note = f"<p>{self._note()}</p>" if self.dropped else ""
        return f"{note}<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _mermaid_text(text):
    # Mermaid ends a message at ";" and treats "#...;" as an entity: write those as entities.
    return "".join({"#": "#35;", ";": "#59;", "<": "#lt;", ">": "#gt;"}.get(c, c) for c in text)


#: Server to app for the scope and received events, a dashed reply for what the app sends.
MERMAID_ARROWS = {"scope": "S->>A", "receive": "S->>A", "send": "A-->>S"}


class SequenceDiagram(Markdown):
    """A ```mermaid block: JupyterLab draws it; its text repr is the Mermaid source.

    The source also goes out as text/vnd.mermaid, which JupyterLab (4.1+) renders directly.
    """

    def __init__(self, events, dropped=0, app_name="app"):
        self.mermaid = self.render(events, dropped, app_name)
        super().__init__(f"```mermaid\n{self.mermaid}\n```")

    @staticmethod
    def render(events, dropped, app_name):
        lines = [
            "sequenceDiagram",
            "    participant S as server",
            f"    participant A as {_mermaid_text(app_name)}",
        ]
        if dropped:
            lines.append(f"    Note over S,A: {dropped} earlier events not kept")
        several = len({event.connection for event in events}) > 1
        for event in events:
            prefix = f"[{event.connection}] " if several else ""
            kind = {"scope": "scope ", "raised": "raised "}.get(event.direction, "")
            label = _mermaid_text(f"{prefix}{kind}{event.type} {event.details}".strip())
            arrow = MERMAID_ARROWS.get(event.direction)
            lines.append(f"    {arrow}: {label}" if arrow else f"    Note over A: {label}")
        return "\n".join(lines)

    def _repr_mimebundle_(self, include=None, exclude=None):
        return {"text/vnd.mermaid": self.mermaid}

    def __repr__(self):
        return self.mermaid
