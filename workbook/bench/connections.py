"""The connection benchmark: open and close many sockets on the course's ChatConsumer under
daphne, and check that the server gives back what they took: memory (RSS), tasks on its loop,
threads, and the in-memory layer's channels and group members.

One batch is opened and closed first, so that what the first connection sets up once and keeps
(imports, the database connection, the thread pool, caches) is in the baseline; every batch after
it should leave the server where that baseline was.
"""

import json
import threading
import time
import urllib.request
import uuid

import psutil

from workbook.bench import STATS_PATH
from workbook.bench.fanout import ROOM_PATHS, BenchError, run_clients, start_failure
from workbook.bench.servers import layer_settings, start_bench_server
from workbook.processes import ProcessError

SETTLE_TIMEOUT = 10  # seconds for the server to finish closing a batch
REAP_INTERVAL = 1.1  # daphne drops closed connections once a second (Server.application_checker)
MB = 2**20
COUNTERS = ("tasks", "threads", "gc_objects", "layer_channels", "layer_group_members")


def server_stats(server, process):
    """The bench ASGI module's /bench/stats/ plus the server process's RSS (psutil), in MB."""
    try:
        with urllib.request.urlopen(server.url(STATS_PATH), timeout=5) as response:
            stats = json.load(response)
    except (OSError, ValueError) as error:
        raise BenchError(f"{STATS_PATH} did not answer: {error}") from None
    stats["rss_mb"] = round(process.memory_info().rss / MB, 2)
    return stats


def settled_stats(server, process, idle_tasks):
    """Stats once the server is done closing: back to `idle_tasks` tasks and an empty layer, then
    one more second for daphne to reap the closed connections; or as things stand after
    SETTLE_TIMEOUT seconds (then the numbers show what was left)."""
    deadline = time.monotonic() + SETTLE_TIMEOUT
    while True:
        stats = server_stats(server, process)
        if stats["tasks"] <= idle_tasks and not stats.get("layer_group_members"):
            break
        if time.monotonic() > deadline:
            return stats
        time.sleep(0.1)
    time.sleep(REAP_INTERVAL)
    return server_stats(server, process)


class PeakRss(threading.Thread):
    """Samples a process's RSS every 20 ms until stopped; `peak_mb` is the highest seen."""

    def __init__(self, process):
        super().__init__(daemon=True)
        self.process = process
        self.peak = 0
        self.finished = threading.Event()

    def run(self):
        while not self.finished.wait(0.02):
            try:
                self.peak = max(self.peak, self.process.memory_info().rss)
            except psutil.Error:
                return

    @property
    def peak_mb(self):
        return round(self.peak / MB, 2)


def open_and_close(server, count, timeout):
    """`count` sockets opened all at once, then all closed, by a workbook.bench.clients process."""
    path = ROOM_PATHS["course"].format(room=f"bench-{uuid.uuid4().hex[:12]}")
    return run_clients(
        "connections", server.ws_url(path), server.origin, timeout, count=count, batch=count
    )


def run_connections(count, batch, *, db_path, timeout):
    """Open and close `count` sockets, `batch` at a time; stats before, after each batch, after."""
    try:
        server = start_bench_server("daphne", db_path=db_path, env=layer_settings("memory"))
    except ProcessError as error:
        raise start_failure(error) from None
    with server:
        process = psutil.Process(server.process.pid)
        cold = server_stats(server, process)
        open_and_close(server, batch, timeout)
        before = settled_stats(server, process, cold["tasks"])

        peak = PeakRss(process)
        peak.start()
        batches = []
        started = time.perf_counter()
        try:
            for start in range(0, count, batch):
                size = min(batch, count - start)
                open_and_close(server, size, timeout)
                stats = settled_stats(server, process, cold["tasks"])
                batches.append({"opened": start + size, **stats})
        finally:
            peak.finished.set()
            peak.join()
        elapsed = time.perf_counter() - started
        after = batches[-1]
    delta = {key: after[key] - before[key] for key in (*COUNTERS, "rss_mb") if key in before}
    delta["rss_mb"] = round(delta["rss_mb"], 2)
    return {
        "server": "daphne",
        "variant": "course",
        "layer": "memory",
        "sockets": count,
        "batch": batch,
        "elapsed_s": round(elapsed, 2),
        "cold": cold,
        "before": before,
        "peak_rss_mb": peak.peak_mb,
        "after": {key: value for key, value in after.items() if key != "opened"},
        "delta": delta,
        "batches": batches,
    }
