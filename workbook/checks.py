"""Checks inside exercise notebooks: instant feedback that says what to try next.

    async with check("the echo consumer answers with the same text"):
        client = await connect(server, "/ws/exercise/echo/")
        await client.send_text("hello")
        expect_equal(await client.receive(), "hello", hint="send text_data back with self.send()")

A passing check prints one line starting with "✓". A failing one raises CheckFailed, whose message
names the check, what was expected, what happened and a hint: never a bare AssertionError.
`check(name, points=2)` makes a check worth more than the default 1 point when a class is graded.
If the in-kernel server logged an error while the check ran (a consumer raised, perhaps a stub's
NotImplementedError), the message ends with that error's last line, so nobody has to dig in
`server.log` to learn why a socket closed.

When the grader runs a notebook (tools/grading sets WORKBOOK_CHECK_RESULTS=1), each check also
publishes its result as a display output of type RESULT_MIME: name, points, passed, and on a
failure the problem and the hint. The grader reads those instead of scraping printed text.
"""

import contextlib
import os

from workbook.clients import HandshakeRefused, ReceiveTimeout, SocketClosed
from workbook.server import running_server

__all__ = ["CheckFailed", "check", "expect", "expect_equal"]

PASSED = "✓"
RESULT_MIME = "application/vnd.workbook.check+json"
RESULTS_ENV = "WORKBOOK_CHECK_RESULTS"


class CheckFailed(AssertionError):
    """A check in an exercise did not pass; the message tells the learner what to try."""

    def __init__(self, name, problem, hint=""):
        self.name = name
        self.problem = problem
        self.hint = hint
        lines = [f"✗ {name}", f"  {problem}"]
        if hint:
            lines.append(f"  Hint: {hint}")
        super().__init__("\n".join(lines))


class Mismatch(AssertionError):
    """Raised by expect_* inside a check; the check turns it into CheckFailed."""

    def __init__(self, problem, hint=""):
        self.problem = problem
        self.hint = hint
        super().__init__(problem)


def expect(condition, problem, hint=""):
    if not condition:
        raise Mismatch(problem, hint)


def expect_equal(actual, expected, hint="", what="got"):
    if actual != expected:
        raise Mismatch(f"expected {expected!r}, {what} {actual!r}", hint)


class check(contextlib.AbstractContextManager, contextlib.AbstractAsyncContextManager):
    """A named check, usable with `with` or `async with`.

    Failures of the usual kinds become CheckFailed with a hint: an unwritten stub
    (NotImplementedError), a mismatch, a timeout waiting for a message, a refused handshake.
    """

    def __init__(self, name, hint="", points=1):
        if isinstance(points, bool) or not isinstance(points, int | float) or points <= 0:
            raise ValueError(f"check {name!r}: points must be a positive number, not {points!r}")
        self.name = name
        self.hint = hint
        self.points = points
        self._log_mark = 0

    def __enter__(self):
        # With no server yet, every line its log will hold comes after the check began.
        server = running_server()
        self._log_mark = server.log.mark() if server is not None else 0
        return self

    async def __aenter__(self):
        return self.__enter__()

    def __exit__(self, kind, error, traceback):
        if error is None:
            if not _publish({"name": self.name, "points": self.points, "passed": True}):
                print(f"{PASSED} {self.name}")
            return False
        failure = self.failure(error)
        logged = self.server_error()
        if logged and logged not in failure.problem:
            failure = CheckFailed(
                failure.name, f"{failure.problem}\n  The server logged: {logged}", failure.hint
            )
        if failure.name == self.name:  # an inner check's failure was published by that check
            _publish(
                {
                    "name": self.name,
                    "points": self.points,
                    "passed": False,
                    "problem": failure.problem,
                    "hint": failure.hint,
                }
            )
        raise failure from None

    def server_error(self):
        """The last line of the newest error the in-kernel server logged during the check."""
        server = running_server()
        logged = server.log.since(self._log_mark) if server is not None else []
        errors = [line for line in logged if line.startswith(("ERROR", "CRITICAL"))]
        if not errors:
            return ""
        return errors[-1].strip().splitlines()[-1].strip()

    async def __aexit__(self, kind, error, traceback):
        return self.__exit__(kind, error, traceback)

    def failure(self, error):
        if isinstance(error, CheckFailed):
            return error
        if isinstance(error, NotImplementedError):
            return CheckFailed(
                self.name, f"not written yet: {error or 'the stub still raises'}", self.hint
            )
        if isinstance(error, Mismatch):
            return CheckFailed(self.name, error.problem, error.hint or self.hint)
        if isinstance(error, ReceiveTimeout | SocketClosed | HandshakeRefused):
            return CheckFailed(self.name, str(error), self.hint)
        return CheckFailed(self.name, f"{type(error).__name__}: {error}", self.hint)


def _publish(result):
    """Hand a check's result to the grader, if one runs this notebook; True when published."""
    if os.environ.get(RESULTS_ENV) != "1":
        return False
    from IPython import get_ipython
    from IPython.display import publish_display_data

    if get_ipython() is None:
        return False
    publish_display_data({RESULT_MIME: result})
    return True
