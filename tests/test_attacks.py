"""The memory attacks of issue 16, against real server processes: `make test-attacks`.

Each starts servers of its own, sends load for half a minute and samples the server's memory,
so they run one at a time, apart from `make test`.
"""

import asyncio

import pytest

from workbook.bench.attacks import MB, big_frames, run_attack
from workbook.processes import shipped_options, start_server

pytestmark = pytest.mark.attack

#: The slow-reader attack, sized for a 2-core machine: silent readers in a room where ten
#: senders talk within the chat's rate limit, with messages of the longest length allowed.
SLOW_READERS = {"readers": 20, "senders": 10, "rate": 4.0, "seconds": 30.0}
#: How much the deployed server's memory may grow during it (it measures 15-20 MB here).
SLOW_READERS_BOUND_MB = 60
#: How much 30 sockets sending a 15 MB frame each may add (uvicorn's default read them all).
BIG_FRAMES_BOUND_MB = 50


def dropped(server):
    return sum("its client read nothing" in line for line in server.output)


def test_daphne_keeps_every_silent_reader_and_buffers_for_it():
    """The attack as found: daphne never makes a send wait, so nothing tells the application
    that a client reads nothing; it keeps the socket and whatever is sent to it."""
    with start_server("daphne") as daphne:
        result = run_attack(daphne, **SLOW_READERS)
        print(result)

        assert result.readers_closed == 0
        assert dropped(daphne) == 0
        assert result.growth_mb + result.peak_queued_mb > SLOW_READERS["readers"]  # > 1 MB each


def test_the_deployed_server_drops_silent_readers_and_stays_under_the_bound():
    with start_server("uvicorn", options=shipped_options()) as deployed:
        # Until every reader is dropped (a loaded machine fills their buffers later), at most 90 s.
        every_reader = SLOW_READERS["readers"]
        result = run_attack(
            deployed,
            **SLOW_READERS,
            until=lambda: dropped(deployed) == every_reader,
            max_seconds=90,
        )
        print(result)

        assert dropped(deployed) == every_reader
        assert result.growth_mb < SLOW_READERS_BOUND_MB


def test_uvicorns_default_reads_every_15_mb_frame_before_refusing_it():
    with start_server("uvicorn", options=["--ws-max-size", str(16 * MB)]) as server:
        start, peak = asyncio.run(big_frames(server))
        print(f"uvicorn, 16 MiB messages: {start} MB -> {peak} MB")

        assert peak - start > 10 * BIG_FRAMES_BOUND_MB


@pytest.mark.parametrize("server", ["uvicorn", "daphne"])
def test_the_deployed_limit_refuses_big_frames_unread(server):
    options = shipped_options() if server == "uvicorn" else []  # daphne: 1 MiB by default
    with start_server(server, options=options) as process:
        start, peak = asyncio.run(big_frames(process))
        print(f"{server}, as deployed: {start} MB -> {peak} MB")

        assert peak - start < BIG_FRAMES_BOUND_MB
