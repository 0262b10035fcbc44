"""`python -m workbook.bench`: the command line, and the run it drives from start to report."""

import argparse
import datetime
import ipaddress
import os
import platform
import shutil
import sys
import time
import urllib.parse
from importlib.metadata import version
from pathlib import Path

from workbook.bench import report
from workbook.bench.connections import run_connections
from workbook.bench.fanout import (
    CHANNELS_VARIANTS,
    LAYER_NAMES,
    SERVER_NAMES,
    VARIANTS,
    BenchError,
    measure,
    plan,
)
from workbook.bench.servers import BENCH_SETTINGS, LAYERS, REDIS_LAYERS, RedisSource
from workbook.paths import REPO_ROOT
from workbook.processes import temporary_database

DESCRIPTION = """\
Chat fan-out and connection benchmarks for course_project.

Fan-out: N WebSocket clients join one room; one more client sends M messages at a steady pace,
each carrying a sequence number and its send time. Reported per setup: deliveries per second
(all deliveries / time from the first send to the last delivery), send-to-delivery latency
percentiles, and messages lost (counted per client by sequence number; must be 0). After a
warm-up that every client must see, the measured messages start. Each measurement runs in fresh
processes: the server (and its redis-server), and one client process on 127.0.0.1.

Setups: the course's ChatConsumer (/ws/chat/<room>/) and the Channels tutorial's bare consumer
(/ws/bare/<room>/, workbook/bench/bare.py), both served by workbook/bench/bare_asgi.py (the
project's application plus the bare route) on each server and channel layer, and a plain
`websockets` relay as the ceiling. course and bare alternate order every round; the course/bare
column is the median over rounds of their ratio on the same server and layer (target: >= 1.3).
On request (--only later), the course's consumer as it was before it stored messages first
(/ws/later/<room>/, workbook/bench/stored_later.py): broadcast, then store in a batch 50 ms
later, no acknowledgements.

The course's consumer acknowledges each message once it is stored; the sender times that, and
the report gives its p50 and p99 ("acknowledged (stored) after"): what storing first costs.

Servers run with CHAT_RATE_LIMIT=0 (the course's per-socket rate limit would refuse a sender
pacing messages 2 ms apart) and DJANGO_DEBUG=0; clients do not offer permessage-deflate.

Connections: opens and closes sockets on the course ChatConsumer under daphne (in-memory layer),
and prints the server's RSS, event-loop tasks, threads and layer size before and after.

Results: a table on stdout, and results.json plus PNG plots in build/bench/<timestamp>/.
Exit status: 0 when every measurement ran and nothing was lost, 1 otherwise, 2 for bad arguments.
"""

EPILOG = """\
examples:
  python -m workbook.bench                          everything (several minutes)
  python -m workbook.bench --quick                  small and fast: the smoke test and the lesson
  python -m workbook.bench --only course,bare --servers daphne --layers memory --rounds 5
  python -m workbook.bench --only course,later --pace 20 --messages 100    what storing first costs
  python -m workbook.bench --only course,bare --layers redis,pubsub --redis-url redis://127.0.0.1:6379/0
  python -m workbook.bench --only connections --connections 5000
"""

CONNECTIONS = "connections"
DEFAULTS = {
    "clients": 50,
    "messages": 200,
    "pace": 2.0,
    "warmup": 20,
    "rounds": 3,
    "only": ["course", "bare", "raw", CONNECTIONS],  # "later" on request only
    "servers": list(SERVER_NAMES),
    "layers": list(LAYER_NAMES),
    "connections": 1000,
    "batch": 100,
}
QUICK = {
    **DEFAULTS,
    "clients": 10,
    "messages": 50,
    "warmup": 10,
    "rounds": 1,
    "servers": ["daphne"],
    "layers": ["memory"],
    "connections": 200,
}


class OneLineErrorParser(argparse.ArgumentParser):
    """Bad arguments give one line (and exit status 2), not the usage block."""

    def error(self, message):
        self.exit(2, f"{self.prog}: error: {message} (see --help)\n")


def bounded(kind, low, high):
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"must be from {low} to {high}, got {text}")
        return value

    return parse


def choices(allowed):
    def parse(text):
        chosen = [name.strip() for name in text.split(",") if name.strip()]
        unknown = [name for name in chosen if name not in allowed]
        if unknown or not chosen:
            raise argparse.ArgumentTypeError(
                f"{', '.join(unknown) or 'nothing'} is not one of {', '.join(allowed)}"
            )
        return list(dict.fromkeys(chosen))

    return parse


def loopback_redis_url(text):
    parsed = urllib.parse.urlsplit(text)
    try:
        loopback = (
            parsed.hostname == "localhost" or ipaddress.ip_address(parsed.hostname).is_loopback
        )
    except ValueError:
        loopback = False
    if parsed.scheme != "redis" or not loopback:
        raise argparse.ArgumentTypeError(f"want redis://127.0.0.1:PORT/DB, got {text!r}")
    return text


def build_parser():
    parser = OneLineErrorParser(
        prog="python -m workbook.bench",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    size = parser.add_argument_group("fan-out sizes")
    size.add_argument(
        "--clients", type=bounded(int, 1, 1000), help="receiving clients in the room (default 50)"
    )
    size.add_argument(
        "--messages", type=bounded(int, 1, 10000), help="measured messages sent (default 200)"
    )
    size.add_argument(
        "--pace",
        type=bounded(float, 0.0, 1000.0),
        metavar="MS",
        help="milliseconds between sends (default 2; 0 sends as fast as the socket takes them)",
    )
    size.add_argument(
        "--warmup",
        type=bounded(int, 1, 1000),
        help="unmeasured warm-up messages every client must receive first (default 20)",
    )
    size.add_argument(
        "--rounds",
        type=bounded(int, 1, 20),
        help="rounds of every setup, course/bare order alternating (default 3)",
    )
    which = parser.add_argument_group("what to measure")
    which.add_argument(
        "--only",
        type=choices([*VARIANTS, CONNECTIONS]),
        metavar="WHAT",
        help=f"comma-separated, from {','.join(VARIANTS)} (fan-out) and {CONNECTIONS} "
        "(default all)",
    )
    which.add_argument(
        "--servers",
        type=choices(SERVER_NAMES),
        metavar="SERVERS",
        help=f"ASGI servers for course and bare, from {','.join(SERVER_NAMES)} (default all)",
    )
    which.add_argument(
        "--layers",
        type=choices(LAYER_NAMES),
        metavar="LAYERS",
        help="channel layers, from "
        + ", ".join(f"{name} ({backend})" for name, backend in LAYERS.items())
        + " (default all; Redis ones are skipped with a note when no redis-server starts)",
    )
    which.add_argument(
        "--connections",
        type=bounded(int, 0, 20000),
        metavar="N",
        help="sockets for the connection benchmark; 0 skips it (default 1000)",
    )
    which.add_argument(
        "--batch", type=bounded(int, 1, 1000), help="sockets open at once there (default 100)"
    )
    run = parser.add_argument_group("running")
    run.add_argument(
        "--quick",
        action="store_true",
        help="small and fast: 10 clients, 50 messages, 10 warm-up, 1 round, daphne, in-memory "
        "layer, 200 connections; any option given explicitly still wins",
    )
    run.add_argument(
        "--timeout",
        type=bounded(float, 5, 3600),
        default=120,
        metavar="SECONDS",
        help="limit for one client run, after which it stops with a message (default 120)",
    )
    run.add_argument(
        "--redis-url",
        type=loopback_redis_url,
        metavar="URL",
        help="use this Redis on 127.0.0.1 instead of starting redis-server for each measurement",
    )
    run.add_argument(
        "--output",
        type=Path,
        default=REPO_ROOT / "build" / "bench",
        metavar="DIR",
        help="folder for the <timestamp>/ results folder (default build/bench)",
    )
    return parser


def parse_args(argv=None):
    args = build_parser().parse_args(argv)
    for name, default in (QUICK if args.quick else DEFAULTS).items():
        if getattr(args, name) is None:
            setattr(args, name, default)
    return args


def say(text=""):
    print(text, file=sys.stderr, flush=True)


def run_fanout(args, redis, db_path):
    layers = args.layers
    skipped = []
    variants = [variant for variant in args.only if variant in VARIANTS]
    uses_layers = any(variant in CHANNELS_VARIANTS for variant in variants)
    if uses_layers and any(layer in REDIS_LAYERS for layer in layers):
        reason = redis.unavailable()
        if reason:
            skipped = [layer for layer in layers if layer in REDIS_LAYERS]
            layers = [layer for layer in layers if layer not in REDIS_LAYERS]
            say(f"skipping the {' and '.join(skipped)} layers: {reason}")
    schedule = plan(variants, args.servers, layers, args.rounds)
    runs = []
    for index, (round_number, setup) in enumerate(schedule, 1):
        prefix = f"[{index}/{len(schedule)}] round {round_number}: {setup}"
        record = {"round": round_number, **vars(setup)}
        try:
            result = measure(setup, args, db_path=db_path, redis=redis)
        except BenchError as error:
            say(f"{prefix}: FAILED: {error}")
            runs.append({**record, "error": str(error)})
            continue
        runs.append({**record, **result})
        say(
            f"{prefix}: {result['deliveries_per_s']:,.0f} deliveries/s, "
            f"p50 {result['latency_ms']['p50']:,.1f} ms, lost {result['lost']}"
            + (f", server errors {result['server_errors']}" if result["server_errors"] else "")
        )
    return runs, skipped


def environment():
    packages = ("django", "channels", "daphne", "uvicorn", "channels-redis", "websockets")
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "packages": {name: version(name) for name in packages},
    }


def results_folder(parent):
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    folder, suffix = parent / stamp, 1
    while folder.exists():
        suffix += 1
        folder = parent / f"{stamp}-{suffix}"
    return folder


def main(argv=None):
    args = parse_args(argv)
    started = time.time()
    redis = RedisSource(args.redis_url)
    say(
        f"fan-out: {args.clients} clients, {args.messages} messages every {args.pace} ms, "
        f"{args.rounds} round(s); servers run with CHAT_RATE_LIMIT=0 and DJANGO_DEBUG=0"
    )
    db_path = temporary_database()
    try:
        runs, skipped = run_fanout(args, redis, db_path)
        connections = None
        if CONNECTIONS in args.only and args.connections:
            say(f"connections: {args.connections} sockets, {args.batch} at a time, on daphne")
            try:
                connections = run_connections(
                    args.connections, args.batch, db_path=db_path, timeout=args.timeout
                )
            except BenchError as error:
                say(f"connections: FAILED: {error}")
                connections = {"error": str(error)}
    finally:
        shutil.rmtree(db_path.parent, ignore_errors=True)

    summary = report.summarize(runs)
    results = {
        "started": datetime.datetime.fromtimestamp(started).isoformat(timespec="seconds"),
        "duration_s": round(time.time() - started, 1),
        "settings": {
            "clients": args.clients,
            "messages": args.messages,
            "pace_ms": args.pace,
            "warmup": args.warmup,
            "rounds": args.rounds,
            "only": args.only,
            "servers": args.servers,
            "layers": args.layers,
            "skipped_layers": skipped,
            "server_env": {key: BENCH_SETTINGS[key] for key in ("CHAT_RATE_LIMIT", "DJANGO_DEBUG")},
            "target_ratio": report.TARGET_RATIO,
            "offered_deliveries_per_s": report.offered_load(args.clients, args.pace),
        },
        "environment": environment(),
        "runs": runs,
        "summary": summary,
        "connections": connections,
    }
    folder = results_folder(args.output)
    written = report.write_results(folder, results)

    print(report.table(summary) if summary else "no fan-out measurements")
    if summary:
        print(report.offered_line(results["settings"]))
        busy = report.busy_line(runs, os.cpu_count())
        if busy:
            print(busy)
    for line in report.ratio_lines(summary, args.rounds) + report.ack_lines(summary):
        print(line)
    for run in runs:
        if "error" in run:
            print(
                f"FAILED: round {run['round']} {run['variant']} {run['server']} {run['layer']}: "
                f"{run['error']}"
            )
    if connections and "error" in connections:
        print(f"FAILED: connections: {connections['error']}")
    elif connections:
        print()
        for line in report.connection_lines(connections):
            print(line)
    print(f"\nwritten to {folder}: {', '.join(path.name for path in written)}")

    failed = [run for run in (*runs, connections or {}) if "error" in run]
    lost = sum(run.get("lost", 0) for run in runs)
    if failed or lost:
        print(f"\n{len(failed)} measurement(s) failed, {lost} message(s) lost", file=sys.stderr)
        return 1
    return 0
