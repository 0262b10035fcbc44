"""Counting what a lesson cannot see from outside: how often consumers stop at Django's database
thread before handling an event (lesson 15). See database_trips()."""

import collections
import contextlib
import importlib
import inspect
from unittest import mock

__all__ = ["database_trips"]


class DatabaseTrips:
    """Trips to the database thread, per consumer class; see database_trips()."""

    def __init__(self):
        self.by_consumer = collections.Counter()

    @property
    def count(self):
        return sum(self.by_consumer.values())

    def __repr__(self):
        return f"<{self.count} trips to the database thread: {dict(self.by_consumer)}>"


#: Channels modules that call aclose_old_connections(): before every handler (consumer), and
#: once more after a WebSocket disconnect or an HTTP response (generic).
TRIP_MODULES = ("channels.consumer", "channels.generic.websocket", "channels.generic.http")


@contextlib.contextmanager
def database_trips(consumer=None):
    """Counts the calls Channels makes to close_old_connections() around consumer handlers.

    Each is a trip to the one thread that runs a process's sync database work. Counts consumers
    in this process (the in-kernel server) while the `with` block lasts; with `consumer` (a
    class), only instances of it, so sockets that other cells are still closing do not count:

        with database_trips(ChatConsumer) as trips:
            ...  # send a message, receive it everywhere
        trips.count
    """
    trips = DatabaseTrips()
    with contextlib.ExitStack() as stack:
        for name in TRIP_MODULES:
            module = importlib.import_module(name)
            counted = _counted(trips, module.aclose_old_connections, consumer)
            stack.enter_context(mock.patch.object(module, "aclose_old_connections", counted))
        yield trips


def _counted(trips, real, consumer):
    async def counted():
        # Channels calls this from a consumer method (dispatch, websocket_disconnect): the
        # caller's `self` says which consumer made the trip.
        caller = inspect.currentframe().f_back.f_locals.get("self")
        if consumer is None or isinstance(caller, consumer):
            trips.by_consumer[type(caller).__name__] += 1  # on the server's loop: no lock
        await real()

    return counted
