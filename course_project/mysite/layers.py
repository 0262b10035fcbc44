"""A Redis channel layer that waits out an outage instead of ending every consumer.

Every consumer, and every `runworker` process, spends its life waiting in the layer's
`receive()`. channels_redis' core layer raises from there when Redis goes away, and an
exception there ends the consumer: a Redis restart closes every WebSocket of every server
process (code 1011) and stops the worker for good (a long-standing report: django/channels#285).
Redis without persistence also forgets every group when it restarts, so even a consumer that
survived would hear nothing more from its room.

`RedisChannelLayer` here is channels_redis' core layer with that fixed: `receive()` waits for
Redis to come back (retrying with growing, jittered pauses), and once it answers again the
layer adds this process's channels back to the groups they had joined. Sending still fails at
once during an outage (`group_send()` raises one of LAYER_ERRORS), so that the sender can say
so; what was not delivered live is in the database, and clients fetch what they missed.
"""

import asyncio
import logging
import random
from collections import defaultdict

import redis.exceptions
from channels_redis.core import RedisChannelLayer as CoreRedisChannelLayer

logger = logging.getLogger(__name__)

#: What a channel layer call raises when Redis cannot be reached (the in-memory layer never does).
LAYER_ERRORS = (OSError, redis.exceptions.ConnectionError, redis.exceptions.TimeoutError)


class RedisChannelLayer(CoreRedisChannelLayer):
    """channels_redis' RedisChannelLayer, whose receive() rides out Redis restarts."""

    #: Seconds between tries to reach Redis again: the first pause, and the longest.
    retry_delays = (0.2, 5.0)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.memberships = defaultdict(set)  # group -> channels of this process in it
        self.recovery = None  # the one task waiting for Redis, shared by every receiver

    async def group_add(self, group, channel):
        await super().group_add(group, channel)
        self.memberships[group].add(channel)

    async def group_discard(self, group, channel):
        channels = self.memberships.get(group)
        if channels is not None:
            channels.discard(channel)
            if not channels:
                del self.memberships[group]
        await super().group_discard(group, channel)

    async def receive(self, channel):
        while True:
            try:
                return await super().receive(channel)
            except LAYER_ERRORS as error:
                if self.recovery is None or self.recovery.done():
                    self.recovery = asyncio.ensure_future(self._wait_for_redis(error))
                # shield(): a consumer that ends meanwhile must not cancel the others' wait.
                await asyncio.shield(self.recovery)

    async def _wait_for_redis(self, error):
        logger.warning("Redis is unreachable (%s); consumers wait for it to come back", error)
        first, longest = self.retry_delays
        delay = first
        while True:
            # Jitter: server processes that lost Redis together do not all retry together.
            await asyncio.sleep(random.uniform(delay / 2, delay))
            try:
                for index in range(self.ring_size):
                    await self.connection(index).ping()
                rejoined = await self._rejoin_groups()
                # A broadcast sent after Redis came back but before this process rejoined its
                # groups reached no one here. Every channel in a group hears that it is back
                # (SafeJsonWebsocketConsumer.layer_reconnected), so one that can catch up does.
                for channel in rejoined:
                    await self.send(channel, {"type": "layer.reconnected"})
            except LAYER_ERRORS:
                delay = min(delay * 2, longest)
                continue
            logger.warning("Redis is back; %d channels rejoined their groups", len(rejoined))
            return

    async def _rejoin_groups(self):
        """Add this process's channels to their groups again (a restarted Redis forgot them);
        return the channels."""
        rejoined = set()
        for group, channels in list(self.memberships.items()):
            for channel in list(channels):
                await super().group_add(group, channel)
                rejoined.add(channel)
        return rejoined
