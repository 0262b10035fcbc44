"""What the in-kernel server logs, kept for cells to read instead of printed into them.

With ipykernel, whatever a background thread prints lands in whichever cell happens to be running.
So the loggers of the server's whole stack (daphne, Twisted, Django, Channels, the project's apps)
write to a ServerLog while the server runs: `server.log` in a lesson.
"""

import collections
import logging

__all__ = ["SERVER_LOGGERS", "ServerLog", "capture"]

#: Loggers of the server's stack. The root logger ("") too: course_project's settings send every
#: logger there, and its apps (chat.history, channels_redis, ...) log from the server thread.
SERVER_LOGGERS = ("", "daphne", "twisted", "django", "channels", "workbook.server")


class ServerLog(logging.Handler):
    """The last `limit` lines logged; its repr is those lines, for a cell.

    `lines` holds them, oldest first. To see what one step logged, take a mark before it:
    `mark = server.log.mark()`, then `server.log.since(mark)` is the lines logged meanwhile.
    """

    def __init__(self, limit=200):
        super().__init__(level=logging.INFO)
        self.lines = collections.deque(maxlen=limit)
        self.logged = 0  # lines ever logged, those dropped from `lines` included
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    def emit(self, record):
        # logging calls this holding self.lock, so `lines` and `logged` change together.
        try:
            self.lines.append(self.format(record))
            self.logged += 1
        except Exception:
            self.handleError(record)

    def mark(self):
        """A place in the log, for since()."""
        with self.lock:
            return self.logged

    def since(self, mark):
        """The lines logged after `mark` (those still kept: the last `limit`), oldest first."""
        with self.lock:
            new = min(self.logged - mark, len(self.lines))
            return list(self.lines)[len(self.lines) - new :] if new > 0 else []

    def __repr__(self):
        return "\n".join(self.lines) or "(nothing logged)"


def capture(handler):
    """Send the server stack's loggers to `handler` only; return a function putting them back.

    They pass INFO records on at least, as course_project's LOGGING has them, also before Django
    has applied it (the in-kernel server starts daphne first).
    """
    saved = []
    for name in SERVER_LOGGERS:
        log = logging.getLogger(name)
        saved.append((log, log.handlers[:], log.propagate, log.level))
        log.handlers = [handler]
        log.propagate = False
        if log.getEffectiveLevel() > logging.INFO:
            log.setLevel(logging.INFO)

    def restore():
        for log, handlers, propagate, level in saved:
            log.handlers = handlers
            log.propagate = propagate
            log.setLevel(level)

    return restore
