"""GET /healthz: can this server process serve right now? Asked by load balancers and monitors.

It checks what every page and every socket needs: the database answers a query, and the channel
layer's backend (Redis, when REDIS_URL is set) takes a message. 200 with {"status": "ok"} when
both do, 503 naming the failing part when one does not, so a load balancer stops sending traffic
to this process until it recovers. It needs no login, is never cached, and says nothing more
about the failure than which part failed: the details go to the log.
"""

import asyncio
import logging

from asgiref.sync import sync_to_async
from channels.layers import get_channel_layer
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)

#: Seconds a check may take before it counts as failing: a health check must answer fast.
TIMEOUT = 2
#: The group the channel layer check sends to. Nobody is in it: the message goes nowhere, but
#: sending it needs a working backend (for Redis, a round trip to the server).
HEALTH_GROUP = "healthz"


def _query_database():
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


async def check_database():
    await sync_to_async(_query_database)()


async def check_channel_layer():
    await get_channel_layer().group_send(HEALTH_GROUP, {"type": "health.check"})


CHECKS = {"database": check_database, "channel_layer": check_channel_layer}


async def run_check(name, check):
    try:
        async with asyncio.timeout(TIMEOUT):
            await check()
    except Exception:
        logger.exception("health check %r failed", name)
        return "failing"
    return "ok"


@never_cache
@require_safe
async def healthz(request):
    """200 if every check passes, 503 if one fails; GET and HEAD only."""
    results = {name: await run_check(name, check) for name, check in CHECKS.items()}
    healthy = all(result == "ok" for result in results.values())
    return JsonResponse(
        {"status": "ok" if healthy else "failing", "checks": results},
        status=200 if healthy else 503,
    )
