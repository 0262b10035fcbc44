"""The benchmark's WebSocket clients, run as a process of their own so that they never share an
event loop (or, on two cores, a core) with the server they measure. Each run prints one JSON
object on stdout; on failure it has an "error" key and the exit status is 1.

    python -m workbook.bench.clients fanout --url ws://127.0.0.1:PORT/ws/chat/ROOM/ --origin ORIGIN
    python -m workbook.bench.clients connections --url ws://127.0.0.1:PORT/ws/chat/ROOM/ \
        --origin ORIGIN

fanout: N receivers and one sender join one room. The sender sends W warm-up frames and waits
until every receiver has seen the last of them, then M measured frames at a steady pace, each
carrying a sequence number and its send time (time.time(): same machine, same clock). Receivers
record the latency of each delivery and which sequence numbers arrived, so losses are counted
per client. The sender records how long each acknowledgement took (the course's consumer
acknowledges a message once it is stored; the tutorial's sends none).

connections: opens COUNT sockets in batches, each batch all open at once and then all closed.
"""

import argparse
import asyncio
import json
import math
import sys
import time

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, WebSocketException

OPEN_TIMEOUT = 10  # seconds for one handshake
CLOSE_TIMEOUT = 5  # seconds for one closing handshake
WARMUP_TIMEOUT = 30  # seconds for every receiver to see the last warm-up frame
IDLE_TIMEOUT = 5  # seconds without a delivery, once sending is done, before counting losses
SETTLE = 0.2  # seconds between warm-up and measurement, for the server to go idle
MAX_ERRORS_KEPT = 5


class BenchClientError(Exception):
    """A run that could not measure; the message says which phase failed and why."""


def percentile(ordered, p):
    """Nearest-rank percentile of an already sorted list."""
    if not ordered:
        return None
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def percentiles(ordered):
    """p50, p95, p99 and max of an already sorted list of milliseconds (None when empty)."""
    return {
        name: round(percentile(ordered, p), 2) if ordered else None
        for name, p in (("p50", 50), ("p95", 95), ("p99", 99), ("max", 100))
    }


def frame(kind, seq):
    """A chat frame both consumers accept; the text says what it is and when it was sent.

    Its id makes the course's consumer acknowledge it once stored, as it does for the room
    page (the tutorial's consumer ignores it), so the sender can time storing.
    """
    return json.dumps({"message": f"{kind}:{seq}:{time.time():.6f}", "id": f"{kind}{seq}"})


async def open_sockets(url, origin, count):
    """`count` sockets opened concurrently; all or none (the opened ones are closed on failure)."""
    attempts = [
        connect(
            url,
            origin=origin,
            compression=None,  # measure servers and layers, not zlib
            open_timeout=OPEN_TIMEOUT,
            close_timeout=CLOSE_TIMEOUT,
            ping_interval=None,
        )
        for _ in range(count)
    ]
    results = await asyncio.gather(*attempts, return_exceptions=True)
    sockets = [result for result in results if not isinstance(result, BaseException)]
    failures = [result for result in results if isinstance(result, BaseException)]
    if failures:
        await close_sockets(sockets)
        reason = f"{type(failures[0]).__name__}: {failures[0]}"
        raise BenchClientError(f"{len(failures)} of {count} sockets failed to open ({reason})")
    return sockets


async def close_sockets(sockets):
    await asyncio.gather(*(socket.close() for socket in sockets), return_exceptions=True)


def parse_frame(payload):
    """(kind, seq, send time) of one of our frames, or None for anything else (history, errors)."""
    if not isinstance(payload, dict) or payload.get("history"):
        return None
    try:
        kind, seq, sent = payload["message"].split(":")
        return kind, int(seq), float(sent)
    except (KeyError, AttributeError, ValueError):
        return None


class Room:
    """What all receivers share: the measured message count, progress, errors from the server."""

    def __init__(self, messages, warmup):
        self.messages = messages
        self.warmup = warmup
        self.last_delivery = None
        self.errors = []
        self.error_count = 0
        self.ack_latencies_ms = []
        self.unexpected = 0
        self.closed_early = 0

    def record_error(self, text):
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS_KEPT:
            self.errors.append(text)


class Receiver:
    """One socket's view of the room: which sequence numbers arrived, and how late."""

    def __init__(self, room, counted=True):
        self.room = room
        self.counted = counted
        self.seen = bytearray(room.messages)
        self.distinct = 0
        self.duplicates = 0
        self.out_of_order = 0
        self.last_seq = -1
        self.latencies_ms = []
        self.warmed = asyncio.Event()
        self.complete = asyncio.Event()

    async def listen(self, socket):
        try:
            async for data in socket:
                self.handle(data, time.time())
        except ConnectionClosed:
            self.room.closed_early += 1

    def handle(self, data, now):
        try:
            payload = json.loads(data)
        except ValueError:
            payload = None
        parsed = parse_frame(payload)
        if parsed is None:
            if isinstance(payload, dict) and "error" in payload:
                self.room.record_error(str(payload["error"]))
            else:
                self.room.unexpected += 1
            return
        kind, seq, sent = parsed
        if not self.counted:
            if kind == "m" and "ack" in payload:  # the sender's acknowledgement
                self.room.ack_latencies_ms.append((now - sent) * 1000)
            return
        if kind == "w":
            if seq == self.room.warmup - 1:
                self.warmed.set()
            return
        if not 0 <= seq < self.room.messages:
            self.room.unexpected += 1
            return
        self.room.last_delivery = now
        if self.seen[seq]:
            self.duplicates += 1
            return
        self.seen[seq] = 1
        self.distinct += 1
        self.latencies_ms.append((now - sent) * 1000)
        if seq < self.last_seq:
            self.out_of_order += 1
        self.last_seq = seq
        if self.distinct == self.room.messages:
            self.complete.set()


async def send_paced(socket, kind, count, pace):
    """Send `count` frames on a fixed schedule; frames that fall behind it go at once."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    for seq in range(count):
        delay = start + seq * pace - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        await socket.send(frame(kind, seq))


async def wait_for_deliveries(receivers, room, sending):
    """Until every receiver has every message, or nothing arrived for IDLE_TIMEOUT seconds."""
    while not all(receiver.complete.is_set() for receiver in receivers):
        await asyncio.sleep(0.05)
        if not sending.done():
            continue
        quiet_since = room.last_delivery or sending.result()[1]
        if time.time() - quiet_since > IDLE_TIMEOUT:
            return


async def timed_send(socket, kind, count, pace):
    started = time.time()
    await send_paced(socket, kind, count, pace)
    return started, time.time()


async def fanout(args, progress):
    room = Room(args.messages, args.warmup)
    receivers = [Receiver(room) for _ in range(args.clients)]
    pace = args.pace_ms / 1000

    progress["phase"] = f"opening {args.clients + 1} sockets"
    sockets = await open_sockets(args.url, args.origin, args.clients + 1)
    sender_socket = sockets[0]
    # The sender is in the room too: drain its socket and keep the errors the server sends it.
    sender_view = Receiver(room, counted=False)
    listeners = [
        asyncio.create_task(receiver.listen(socket))
        for receiver, socket in zip([sender_view, *receivers], sockets, strict=True)
    ]
    try:
        progress["phase"] = f"warm-up ({args.warmup} frames)"
        await send_paced(sender_socket, "w", args.warmup, pace)
        warmed = asyncio.gather(*(receiver.warmed.wait() for receiver in receivers))
        try:
            await asyncio.wait_for(warmed, WARMUP_TIMEOUT)
        except TimeoutError:
            missing = sum(not receiver.warmed.is_set() for receiver in receivers)
            raise BenchClientError(
                f"warm-up: {missing} of {args.clients} receivers never got the last warm-up "
                f"frame within {WARMUP_TIMEOUT} s (errors from the server: {room.errors})"
            ) from None
        await asyncio.sleep(SETTLE)

        progress["phase"] = f"measuring ({args.messages} frames every {args.pace_ms} ms)"
        sending = asyncio.create_task(timed_send(sender_socket, "m", args.messages, pace))
        await wait_for_deliveries(receivers, room, sending)
        first_send, last_send = await sending
        progress["phase"] = "closing sockets"
    finally:
        for listener in listeners:
            listener.cancel()
        await asyncio.gather(*listeners, return_exceptions=True)
        await close_sockets(sockets)
    return summarize(args, room, receivers, first_send, last_send)


def summarize(args, room, receivers, first_send, last_send):
    deliveries = sum(receiver.distinct for receiver in receivers)
    lost_per_client = [args.messages - receiver.distinct for receiver in receivers]
    latencies = sorted(value for receiver in receivers for value in receiver.latencies_ms)
    elapsed = (room.last_delivery or last_send) - first_send
    return {
        "mode": "fanout",
        "clients": args.clients,
        "messages": args.messages,
        "pace_ms": args.pace_ms,
        "warmup": args.warmup,
        "expected": args.clients * args.messages,
        "deliveries": deliveries,
        "lost": sum(lost_per_client),
        "clients_with_losses": sum(1 for lost in lost_per_client if lost),
        "duplicates": sum(receiver.duplicates for receiver in receivers),
        "out_of_order": sum(receiver.out_of_order for receiver in receivers),
        "elapsed_s": round(elapsed, 4),
        "send_s": round(last_send - first_send, 4),
        "deliveries_per_s": round(deliveries / elapsed, 1) if elapsed > 0 else None,
        "latency_ms": percentiles(latencies),
        "ack_latency_ms": percentiles(sorted(room.ack_latencies_ms)),
        "server_errors": room.error_count,
        "server_error_examples": room.errors,
        "unexpected_frames": room.unexpected,
        "sockets_closed_early": room.closed_early,
    }


async def connections(args, progress):
    started = time.perf_counter()
    opened = 0
    while opened < args.count:
        size = min(args.batch, args.count - opened)
        progress["phase"] = f"opening sockets {opened + 1}-{opened + size} of {args.count}"
        sockets = await open_sockets(args.url, args.origin, size)
        progress["phase"] = f"closing sockets {opened + 1}-{opened + size} of {args.count}"
        await close_sockets(sockets)
        opened += size
    return {"mode": "connections", "opened": opened, "elapsed_s": time.perf_counter() - started}


async def run(args):
    """The run's result, or {"error": ...} saying in which phase and why it stopped."""
    progress = {"phase": "starting"}
    mode = fanout if args.mode == "fanout" else connections
    try:
        async with asyncio.timeout(args.timeout):
            return await mode(args, progress)
    except TimeoutError:
        return {"error": f"timed out after {args.timeout} s while {progress['phase']}"}
    except BenchClientError as error:
        return {"error": f"{progress['phase']}: {error}"}
    except (OSError, WebSocketException) as error:
        return {"error": f"{progress['phase']}: {type(error).__name__}: {error}"}


def positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m workbook.bench.clients", description=__doc__)
    parser.add_argument("mode", choices=["fanout", "connections"])
    parser.add_argument("--url", required=True, help="ws:// URL of the room")
    parser.add_argument("--origin", required=True, help="Origin header (the server's http://)")
    parser.add_argument("--timeout", type=float, default=120, help="seconds for the whole run")
    parser.add_argument("--clients", type=positive_int, default=50, help="fanout receivers")
    parser.add_argument("--messages", type=positive_int, default=200, help="fanout frames")
    parser.add_argument("--pace-ms", type=float, default=2.0, help="ms between fanout frames")
    parser.add_argument("--warmup", type=positive_int, default=20, help="fanout warm-up frames")
    parser.add_argument("--count", type=positive_int, default=100, help="sockets to open")
    parser.add_argument("--batch", type=positive_int, default=100, help="sockets open at once")
    return parser.parse_args(argv)


def main(argv=None):
    result = asyncio.run(run(parse_args(argv)))
    print(json.dumps(result), flush=True)
    return 1 if "error" in result else 0


if __name__ == "__main__":
    sys.exit(main())
