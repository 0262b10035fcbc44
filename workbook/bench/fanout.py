"""The fan-out benchmark: which measurements to make, in which order, and making one.

A measurement is one setup (variant, server, layer) in fresh processes: the server (and its
Redis), then one workbook.bench.clients process with N receivers and a paced sender in a room of
its own.
"""

import json
import os
import subprocess
import sys
import uuid
from dataclasses import dataclass

import psutil

from workbook.bench.servers import LAYERS, serving
from workbook.paths import REPO_ROOT
from workbook.processes import SERVERS, ProcessError

VARIANTS = ("course", "bare", "raw", "later")
SERVER_NAMES = tuple(SERVERS)  # daphne, uvicorn
LAYER_NAMES = tuple(LAYERS)  # memory, redis, pubsub
PAIR = ("course", "bare")
CHANNELS_VARIANTS = (*PAIR, "later")  # served by course_project under daphne or uvicorn
ROOM_PATHS = {
    "course": "/ws/chat/{room}/",
    "bare": "/ws/bare/{room}/",
    "raw": "/{room}/",
    "later": "/ws/later/{room}/",  # the at-most-once course consumer of before lesson 14
}
RAW_SERVER, NO_LAYER = "websockets", "-"
CLIENT_GRACE = 15  # seconds the client process gets beyond its own timeout before it is killed


class BenchError(Exception):
    """A measurement that could not be made; the message says what happened."""


def start_failure(error):
    """A one-line BenchError for a workbook ProcessError: its state and the output's last line."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    state = lines[0].removesuffix(" Its last output:").rstrip(".")
    return BenchError(f"{state}: {lines[-1]}" if len(lines) > 1 else state)


@dataclass(frozen=True)
class Setup:
    variant: str
    server: str
    layer: str

    def __str__(self):
        return f"{self.variant} {self.server} {self.layer}"


def plan(variants, servers, layers, rounds):
    """(round, Setup) in running order. course and bare run back to back on each server and layer,
    and swap places every round, so a machine that drifts during the run favours neither; later
    (when asked for) runs right after them."""
    schedule = []
    for round_number in range(1, rounds + 1):
        pair = [variant for variant in PAIR if variant in variants]
        if round_number % 2 == 0:
            pair.reverse()
        if "later" in variants:
            pair.append("later")
        for server in servers:
            for layer in layers:
                schedule += [(round_number, Setup(variant, server, layer)) for variant in pair]
        if "raw" in variants:
            schedule.append((round_number, Setup("raw", RAW_SERVER, NO_LAYER)))
    return schedule


def run_clients(mode, url, origin, timeout, **options):
    """Run workbook.bench.clients in a process of its own and return its JSON result."""
    command = [
        sys.executable,
        "-m",
        "workbook.bench.clients",
        mode,
        "--url",
        url,
        "--origin",
        origin,
    ]
    command += ["--timeout", str(timeout)]
    for name, value in options.items():
        command += [f"--{name.replace('_', '-')}", str(value)]
    try:
        completed = subprocess.run(
            command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=timeout + CLIENT_GRACE
        )
    except subprocess.TimeoutExpired:
        raise BenchError(
            f"the client process was still running {timeout + CLIENT_GRACE} s later; killed it"
        ) from None
    lines = completed.stdout.strip().splitlines()
    try:
        result = json.loads(lines[-1])
    except (IndexError, ValueError):
        stderr = completed.stderr.strip().splitlines()
        last = stderr[-1] if stderr else "no output"
        raise BenchError(
            f"the client process exited with status {completed.returncode} and no result: {last}"
        ) from None
    if "error" in result:
        raise BenchError(result["error"])
    return result


def measure(setup, options, *, db_path, redis):
    """One fan-out measurement of `setup` in fresh processes; the clients' result dict."""
    room = f"bench-{uuid.uuid4().hex[:12]}"  # never a room (or Redis group) used before
    try:
        with serving(setup.variant, setup.server, setup.layer, db_path=db_path, redis=redis) as srv:
            path = ROOM_PATHS[setup.variant].format(room=room)
            load = os.getloadavg()[0]
            server = psutil.Process(srv.process.pid)
            cpu_before = sum(server.cpu_times()[:2])  # user + system
            result = run_clients(
                "fanout",
                srv.ws_url(path),
                srv.origin,
                options.timeout,
                clients=options.clients,
                messages=options.messages,
                pace_ms=options.pace,
                warmup=options.warmup,
            )
            if not srv.running:
                raise BenchError(f"{srv.name} exited during the run: {srv.tail(1)}")
            server_cpu = sum(server.cpu_times()[:2]) - cpu_before
    except ProcessError as error:
        raise start_failure(error) from None
    # Context for noisy figures: how busy the machine was, and what the server itself used.
    result["loadavg_1m_before"] = round(load, 2)
    result["server_cpu_s"] = round(server_cpu, 3)
    return result
