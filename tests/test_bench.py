"""`python -m workbook.bench` end to end with tiny sizes: it runs, writes what it promises,
loses nothing.

No assertion on speed or duration: this machine's figures vary too much for that. The figures
themselves are for `make bench` and the performance lesson.
"""

import json
import subprocess
import sys

import pytest

from workbook.paths import REPO_ROOT

# Whole benchmark runs with servers in processes of their own: `make test-slow`, not `make test`.
pytestmark = pytest.mark.slow

TINY = ["--quick", "--clients", "5", "--messages", "20", "--warmup", "5", "--timeout", "60"]
RUN_KEYS = {
    "round",
    "variant",
    "server",
    "layer",
    "deliveries",
    "expected",
    "deliveries_per_s",
    "latency_ms",
    "lost",
}
SUMMARY_KEYS = {"variant", "server", "layer", "deliveries_per_s", "p50", "p95", "p99", "lost"}


def run_bench(tmp_path, *args):
    completed = subprocess.run(
        [sys.executable, "-m", "workbook.bench", *TINY, "--output", str(tmp_path), *args],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stdout + completed.stderr
    (folder,) = tmp_path.iterdir()
    return completed.stdout, json.loads((folder / "results.json").read_text()), folder


def assert_measured(results, variants):
    runs = results["runs"]
    assert {run["variant"] for run in runs} == set(variants)
    for run in runs:
        assert "error" not in run, run["error"]
        assert run.keys() >= RUN_KEYS
        assert run["lost"] == 0
        assert run["deliveries"] == run["expected"] > 0
        assert run["deliveries_per_s"] > 0
        assert set(run["latency_ms"]) >= {"p50", "p95", "p99"}
    for row in results["summary"]:
        assert row.keys() >= SUMMARY_KEYS


def test_quick_course_bare_and_raw_on_daphne(tmp_path):
    stdout, results, folder = run_bench(
        tmp_path, "--only", "course,bare,raw,connections", "--connections", "20", "--batch", "10"
    )
    assert_measured(results, ["course", "bare", "raw"])
    course = next(row for row in results["summary"] if row["variant"] == "course")
    assert course["ratio"] > 0
    assert "course/bare" in stdout

    connections = results["connections"]
    assert "error" not in connections, connections.get("error")
    assert {"before", "after", "delta", "peak_rss_mb", "batches"} <= connections.keys()
    assert connections["batches"][-1]["opened"] == 20
    assert {"rss_mb", "tasks", "threads"} <= connections["delta"].keys()

    assert {"deliveries_per_s.png", "latency_ms.png", "connections.png"} <= {
        path.name for path in folder.iterdir()
    }


@pytest.mark.redis
def test_quick_course_and_bare_on_the_redis_layers(tmp_path, redis_server):
    _, results, _ = run_bench(
        tmp_path,
        "--only",
        "course,bare",
        "--layers",
        "redis,pubsub",
        "--redis-url",
        redis_server.url,
    )
    assert {run["layer"] for run in results["runs"]} == {"redis", "pubsub"}
    assert_measured(results, ["course", "bare"])
