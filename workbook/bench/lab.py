"""The fan-out benchmark called from Python, one measurement at a time (the performance lesson).

    with FanoutLab(clients=20, messages=100, pace=1.0) as lab:
        runs = [lab.measure("course"), lab.measure("course", layer="redis"), lab.measure("raw")]
    print(report.table(report.summarize(runs)))

Each measurement is the same as one line of `python -m workbook.bench`: fresh server processes, a
client process of its own, the result as a dict. Nothing is written to build/bench/; the lab
keeps one database and, once a Redis layer is measured, one redis-server for all its
measurements, and removes or stops them when it closes.
"""

import shutil
from types import SimpleNamespace

from workbook.bench import report
from workbook.bench.fanout import LAYER_NAMES, NO_LAYER, RAW_SERVER, SERVER_NAMES, Setup, measure
from workbook.bench.servers import REDIS_LAYERS, RedisSource
from workbook.processes import start_redis, temporary_database

__all__ = ["FanoutLab"]


class FanoutLab:
    """Fan-out measurements with the sizes given here (the CLI's --clients, --messages, --pace
    in milliseconds, --warmup and --timeout in seconds); measure() may override them."""

    def __init__(self, *, clients=20, messages=100, pace=1.0, warmup=10, timeout=60):
        self.sizes = {"clients": clients, "messages": messages, "pace": pace, "warmup": warmup}
        self.timeout = timeout
        self._db_path = None
        self._redis = None

    def measure(self, variant, server="daphne", layer="memory", *, round=1, **sizes):
        """One measurement of `variant` (course, bare, later or raw) on `server` and `layer`.

        Returns the run as `python -m workbook.bench` records it in results.json: the setup, the
        round, and the client's result (deliveries_per_s, latency_ms, lost, ...). `raw` has no
        server or layer of Channels: it is the plain `websockets` relay.
        """
        unknown = set(sizes) - set(self.sizes)
        if unknown:
            raise TypeError(f"unknown sizes {sorted(unknown)}; the lab has {sorted(self.sizes)}")
        if variant == "raw":
            setup = Setup(variant, RAW_SERVER, NO_LAYER)
        elif server not in SERVER_NAMES or layer not in LAYER_NAMES:
            raise ValueError(
                f"server must be one of {', '.join(SERVER_NAMES)} and layer one of "
                f"{', '.join(LAYER_NAMES)}, not {server!r} and {layer!r}"
            )
        else:
            setup = Setup(variant, server, layer)
        options = SimpleNamespace(**{**self.sizes, **sizes}, timeout=self.timeout)
        if self._db_path is None:
            self._db_path = temporary_database()
        redis = RedisSource(self._redis_url() if setup.layer in REDIS_LAYERS else None)
        result = measure(setup, options, db_path=self._db_path, redis=redis)
        return {"round": round, **vars(setup), **result}

    def _redis_url(self):
        if self._redis is None:
            self._redis = start_redis()
        return self._redis.url

    def results(self, runs):
        """`runs` in the shape of results.json, for workbook.bench.report's table and plots."""
        sizes = {**self.sizes, "pace_ms": self.sizes["pace"]}
        return {
            "settings": {
                **{key: sizes[key] for key in ("clients", "messages", "pace_ms", "warmup")},
                "rounds": max((run["round"] for run in runs), default=0),
                "offered_deliveries_per_s": report.offered_load(sizes["clients"], sizes["pace"]),
            },
            "runs": runs,
            "summary": report.summarize(runs),
        }

    def close(self):
        """Stop the lab's redis-server and remove its database; safe to call twice."""
        if self._redis is not None:
            self._redis.stop()
            self._redis = None
        if self._db_path is not None:
            shutil.rmtree(self._db_path.parent, ignore_errors=True)
            self._db_path = None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()
