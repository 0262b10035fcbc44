"""The in-kernel server's log (workbook.serverlog), and a check that reports what it logged.

On a ServerLog of their own, attached to a logger of their own: no server is started.
"""

import logging

import pytest

from workbook import server
from workbook.checks import CheckFailed, check, expect
from workbook.serverlog import ServerLog


@pytest.fixture
def logger():
    """A logger of this test's own, whose records go nowhere else."""
    log = logging.getLogger("workbook.tests.serverlog")
    log.propagate = False
    yield log
    log.handlers = []


def test_since_gives_the_lines_logged_after_a_mark_even_once_old_ones_are_dropped(logger):
    log = ServerLog(limit=3)
    logger.addHandler(log)
    logger.warning("before")
    mark = log.mark()
    assert log.since(mark) == []

    for number in range(2):
        logger.warning("after %d", number)
    assert log.since(mark) == [
        "WARNING workbook.tests.serverlog: after 0",
        "WARNING workbook.tests.serverlog: after 1",
    ]

    for number in range(2, 5):
        logger.warning("after %d", number)
    # Five lines since the mark, three kept: since() gives what is left of them.
    assert [line.rsplit(" ", 1)[-1] for line in log.since(mark)] == ["2", "3", "4"]
    assert repr(log) == "\n".join(log.lines)


def test_a_failing_check_ends_with_the_error_the_server_logged_meanwhile(logger, monkeypatch):
    class Running:
        log = ServerLog()

    monkeypatch.setattr(server, "_server", Running)
    logger.addHandler(Running.log)
    logger.error("an error from before the check")

    def failing_check():
        with check("the consumer answers"):
            logger.error("EchoConsumer raised\nTraceback ...\nNotImplementedError: write receive()")
            expect(False, "no answer came", hint="write receive()")

    with pytest.raises(CheckFailed) as failed:
        failing_check()

    assert str(failed.value) == (
        "✗ the consumer answers\n"
        "  no answer came\n"
        "  The server logged: NotImplementedError: write receive()\n"
        "  Hint: write receive()"
    )
