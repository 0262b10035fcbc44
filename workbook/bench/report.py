"""Turning measurements into the summary table, results.json and the plots."""

import json
import statistics
from pathlib import Path

from workbook.bench.fanout import PAIR

__all__ = [
    "ack_lines",
    "pair_ratio",
    "plot_deliveries",
    "plot_latency",
    "ratio_lines",
    "summarize",
    "table",
]

PERCENTILES = ("p50", "p95", "p99")
TARGET_RATIO = 1.3  # the course's target: course consumer >= 1.3x bare, same server and layer
VARIANT_COLORS = {"course": "tab:blue", "bare": "tab:orange", "raw": "tab:gray", "later": "tab:red"}


def _median(values):
    values = [value for value in values if value is not None]
    return statistics.median(values) if values else None


def summarize(runs):
    """One row per setup (in running order): medians over rounds, total lost, ratio to bare."""
    groups = {}
    for run in runs:
        if "error" not in run:
            groups.setdefault((run["variant"], run["server"], run["layer"]), []).append(run)
    rows = []
    for (variant, server, layer), measured in groups.items():
        rates = [run["deliveries_per_s"] for run in measured]
        row = {
            "variant": variant,
            "server": server,
            "layer": layer,
            "rounds": len(measured),
            "deliveries_per_s": _median(rates),
            "deliveries_per_s_min": min(rates),
            "deliveries_per_s_max": max(rates),
            **{p: _median(run["latency_ms"][p] for run in measured) for p in PERCENTILES},
            "lost": sum(run["lost"] for run in measured),
            "server_errors": sum(run["server_errors"] for run in measured),
        }
        acks = [run["ack_latency_ms"] for run in measured if run.get("ack_latency_ms")]
        if any(ack["p50"] is not None for ack in acks):
            row.update({f"ack_{p}": _median(ack[p] for ack in acks) for p in PERCENTILES})
        if variant == "course":
            row.update(pair_ratio(runs, server, layer))
        rows.append(row)
    return rows


def pair_ratio(runs, server, layer):
    """course/bare deliveries per second in each round where both were measured, and the median."""
    by_round = {}
    for run in runs:
        if "error" not in run and (run["server"], run["layer"]) == (server, layer):
            by_round.setdefault(run["round"], {})[run["variant"]] = run["deliveries_per_s"]
    ratios = [
        round(rates["course"] / rates["bare"], 3)
        for _, rates in sorted(by_round.items())
        if set(PAIR) <= rates.keys() and rates["bare"]
    ]
    if not ratios:
        return {}
    median = round(statistics.median(ratios), 3)
    return {"ratio": median, "ratios": ratios, "target_met": median >= TARGET_RATIO}


def _number(value, digits=0):
    return "-" if value is None else f"{value:,.{digits}f}"


def table(rows):
    """The summary as aligned text."""
    header = ["variant", "server", "layer", "deliveries/s", "min-max", "p50 ms", "p95 ms"]
    header += ["p99 ms", "lost", "course/bare"]
    lines = [header]
    for row in rows:
        spread = f"{_number(row['deliveries_per_s_min'])}-{_number(row['deliveries_per_s_max'])}"
        lines.append(
            [
                row["variant"],
                row["server"],
                row["layer"],
                _number(row["deliveries_per_s"]),
                spread,
                *(_number(row[p], 1) for p in PERCENTILES),
                str(row["lost"]),
                _number(row.get("ratio"), 2) if "ratio" in row else "",
            ]
        )
    widths = [max(len(line[column]) for line in lines) for column in range(len(header))]
    numeric = set(range(3, len(header)))
    return "\n".join(
        "  ".join(
            cell.rjust(width) if column in numeric else cell.ljust(width)
            for column, (cell, width) in enumerate(zip(line, widths, strict=True))
        ).rstrip()
        for line in lines
    )


def ratio_lines(rows, rounds):
    lines = []
    for row in rows:
        if "ratio" not in row:
            continue
        verdict = "met" if row["target_met"] else "MISSED"
        each = " ".join(f"{ratio:.2f}" for ratio in row["ratios"])
        lines.append(
            f"course/bare on {row['server']} + {row['layer']}: median {row['ratio']:.2f} over "
            f"{len(row['ratios'])} of {rounds} rounds ({each}); target >= {TARGET_RATIO}: {verdict}"
        )
    return lines


def ack_lines(rows):
    """How long the sender waited for "stored" (the course's consumer acknowledges once a message
    is committed): the price of storing before broadcasting, per setup."""
    return [
        f"{row['variant']} on {row['server']} + {row['layer']}: acknowledged (stored) after "
        f"p50 {_number(row['ack_p50'], 1)} ms, p99 {_number(row['ack_p99'], 1)} ms"
        for row in rows
        if "ack_p50" in row
    ]


def connection_lines(result):
    before, after, delta = result["before"], result["after"], result["delta"]
    lines = [
        f"Connections: {result['sockets']:,} sockets opened and closed in batches of "
        f"{result['batch']} on {result['server']} ({result['variant']} ChatConsumer, "
        f"{result['layer']} layer) in {result['elapsed_s']} s; baseline taken after one "
        "warm-up batch.",
        f"  {'':22}{'before':>10}{'peak':>10}{'after':>10}{'delta':>10}",
        f"  {'server RSS (MB)':22}{before['rss_mb']:>10.1f}{result['peak_rss_mb']:>10.1f}"
        f"{after['rss_mb']:>10.1f}{delta['rss_mb']:>+10.1f}",
    ]
    for key, label in (
        ("tasks", "tasks on server loop"),
        ("threads", "threads"),
        ("gc_objects", "Python objects (gc)"),
        ("layer_channels", "layer channels"),
        ("layer_group_members", "layer group members"),
    ):
        if key in delta:
            lines.append(f"  {label:22}{before[key]:>10}{'':>10}{after[key]:>10}{delta[key]:>+10}")
    series = " ".join(f"{batch['rss_mb']:.1f}" for batch in result["batches"])
    lines.append(f"  RSS after each batch (MB): {series}")
    return lines


def write_results(folder, results):
    """results.json and the PNG plots in `folder` (created); returns the files written."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "results.json"
    path.write_text(json.dumps(results, indent=2) + "\n")
    return [path, *plot(folder, results)]


def plot(folder, results):
    """The PNG plots of `results` in `folder`; returns their paths."""
    import matplotlib

    matplotlib.use("Agg")  # files only: no display needed, none opened
    from matplotlib import pyplot

    written = []
    for name, draw in (
        ("deliveries_per_s.png", plot_deliveries),
        ("latency_ms.png", plot_latency),
        ("connections.png", plot_connections),
    ):
        figure = draw(pyplot, results)
        if figure is not None:
            figure.tight_layout()
            figure.savefig(folder / name, dpi=120)
            pyplot.close(figure)
            written.append(folder / name)
    return written


def _variant_axes(pyplot, rows):
    figure, axes = pyplot.subplots(figsize=(max(6, 0.9 * len(rows) + 2), 4.5))
    labels = [f"{row['variant']}\n{row['server']}\n{row['layer']}" for row in rows]
    axes.set_xticks(range(len(rows)), labels, fontsize=7)
    return figure, axes


def plot_deliveries(pyplot, results):
    rows = results["summary"]
    if not rows:
        return None
    figure, axes = _variant_axes(pyplot, rows)
    medians = [row["deliveries_per_s"] for row in rows]
    below = [
        median - row["deliveries_per_s_min"] for median, row in zip(medians, rows, strict=True)
    ]
    above = [
        row["deliveries_per_s_max"] - median for median, row in zip(medians, rows, strict=True)
    ]
    axes.bar(
        range(len(rows)),
        medians,
        yerr=[below, above],
        capsize=3,
        color=[VARIANT_COLORS[row["variant"]] for row in rows],
    )
    for position, value in enumerate(medians):
        axes.annotate(f"{value:,.0f}", (position, value), ha="center", va="bottom", fontsize=7)
    offered = results["settings"]["offered_deliveries_per_s"]
    if offered:
        axes.axhline(offered, color="black", linestyle=":", linewidth=1, label="offered load")
        axes.legend(loc="upper left", fontsize=7)
    axes.set_ylabel("deliveries per second\n(median; whiskers: min-max over rounds)")
    axes.set_title(fanout_title(results))
    return figure


def plot_latency(pyplot, results):
    rows = results["summary"]
    if not rows:
        return None
    figure, axes = _variant_axes(pyplot, rows)
    width = 0.27
    for offset, p in enumerate(PERCENTILES):
        positions = [position + (offset - 1) * width for position in range(len(rows))]
        axes.bar(positions, [max(row[p] or 0, 0.01) for row in rows], width, label=p)
    axes.set_yscale("log")
    axes.set_ylabel("send-to-delivery latency, ms\n(log scale; median over rounds)")
    axes.set_title(fanout_title(results))
    axes.legend()
    return figure


def plot_connections(pyplot, results):
    connections = results.get("connections")
    if not connections or "batches" not in connections:
        return None
    points = [{"opened": 0, **connections["before"]}, *connections["batches"]]
    opened = [point["opened"] for point in points]
    figure, rss_axes = pyplot.subplots(figsize=(6, 4))
    rss_axes.plot(opened, [point["rss_mb"] for point in points], marker="o", label="after batch")
    rss_axes.axhline(
        connections["peak_rss_mb"], color="tab:blue", linestyle=":", label="peak, sockets open"
    )
    rss_axes.legend(loc="lower right", fontsize=7)
    rss_axes.set_xlabel("sockets opened and closed so far")
    rss_axes.set_ylabel("server RSS after the batch (MB)")
    rss_axes.set_ylim(bottom=0)
    task_axes = rss_axes.twinx()
    task_axes.plot(opened, [point["tasks"] for point in points], color="tab:red", linestyle="--")
    task_axes.set_ylabel("tasks on the server loop (dashed)")
    task_axes.set_ylim(0, max(2, *(point["tasks"] for point in points)) * 1.2)
    rss_axes.set_title(
        f"{connections['server']} + {connections['variant']} ChatConsumer: "
        f"{connections['sockets']:,} sockets, {connections['batch']} at a time"
    )
    return figure


def offered_load(clients, pace_ms):
    """Deliveries per second the sender asks for: every client gets every message."""
    return round(clients * 1000 / pace_ms) if pace_ms else None


def offered_line(settings):
    offered = settings["offered_deliveries_per_s"]
    if offered is None:
        return "offered load: unpaced (--pace 0), so every figure is a ceiling"
    return (
        f"offered load: {settings['clients']} clients x {1000 / settings['pace_ms']:,.0f} "
        f"messages/s = {offered:,} deliveries/s; a setup at that figure kept up, so it shows a "
        "floor of its capacity, not its ceiling (lower --pace to push it)"
    )


def busy_line(runs, cpus):
    """A warning when other programs kept the machine busy while measuring, or None."""
    loads = [run["loadavg_1m_before"] for run in runs if "loadavg_1m_before" in run]
    # This benchmark alone keeps about two cores busy (server and clients), hence the margin.
    if not loads or statistics.median(loads) <= 1.25 * (cpus or 1):
        return None
    return (
        f"warning: the machine was busy (median 1-minute load {statistics.median(loads):.1f} "
        f"on {cpus} CPUs, which includes this benchmark): expect noisy figures, add --rounds"
    )


def fanout_title(results):
    settings = results["settings"]
    return (
        f"{settings['clients']} clients, {settings['messages']} messages every "
        f"{settings['pace_ms']} ms, {settings['rounds']} round(s)"
    )
