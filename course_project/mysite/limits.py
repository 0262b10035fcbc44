"""Limits per user and per client address, shared by every socket and view that needs one.

Two kinds:

- RateLimit: at most N actions per window (a minute, an hour) for one key, counted in Django's
  cache, as django-ratelimit does: a counter per key and window, created with `add()` and
  increased with `incr()`, both atomic. With REDIS_URL set the cache is Redis, so every server
  process counts together; otherwise each process counts on its own.
- ConnectionLimitMiddleware: at most N sockets open at once per user and per client address,
  counted in the process that holds them (a socket lives in one process; nginx's limit_conn
  caps the total in front, see deploy/nginx.conf).

Defaults are chosen for a classroom: 40 students behind one school router share one address,
so per-address limits are generous and the tight ones are per user. Each is a setting, read
from the environment (mysite/settings.py).
"""

import logging
import time
from collections import Counter

from asgiref.sync import sync_to_async
from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)


def client_address(scope_or_request):
    """The client's IP address from an ASGI scope or a Django request ("" if unknown).

    Behind nginx, daphne --proxy-headers and uvicorn --proxy-headers put the forwarded address
    in the scope (and so in REMOTE_ADDR).
    """
    if isinstance(scope_or_request, dict):
        client = scope_or_request.get("client")
        return client[0] if client else ""
    return scope_or_request.META.get("REMOTE_ADDR", "")


def limit_keys(user=None, address=""):
    """The keys one action counts against: the user's (if logged in) and the address's."""
    keys = []
    if user is not None and user.is_authenticated:
        keys.append(f"user:{user.pk}")
    if address:
        keys.append(f"address:{address}")
    return keys


class RateLimit:
    """At most `limit(key)` actions in each `window` seconds for a key; a limit of None is off.

    `per_user` and `per_address` are the limits for "user:..." and "address:..." keys.
    """

    def __init__(self, name, window, *, per_user=None, per_address=None):
        self.name = name
        self.window = window
        self.limits = {"user": per_user, "address": per_address}

    def limit(self, key):
        return self.limits.get(key.partition(":")[0])

    def _cache_key(self, key, now):
        return f"limits:{self.name}:{key}:{int(now // self.window)}"

    def hit(self, keys, cost=1):
        """Count `cost` actions against each key; False if any key is over its limit.

        An action refused by one key still counts against the others: someone who keeps
        knocking does not get a fresh allowance elsewhere. If the cache is down, the action is
        allowed (and logged): a limit must not take the site down with it.
        """
        now = time.time()
        allowed = True
        for key in keys:
            limit = self.limit(key)
            if limit is None:
                continue
            cache_key = self._cache_key(key, now)
            try:
                cache.add(cache_key, 0, timeout=self.window + 1)
                count = cache.incr(cache_key, cost)
            except Exception:
                logger.exception("the cache failed; %s not limited for %s", self.name, key)
                continue
            allowed = allowed and count <= limit
        return allowed

    async def ahit(self, keys, cost=1):
        """hit() from async code."""
        return await sync_to_async(self.hit)(keys, cost)

    def retry_after(self):
        """Seconds until the current window ends and counts start again."""
        return int(self.window - time.time() % self.window) + 1


class ConnectionLimitMiddleware:
    """Refuses a WebSocket handshake (HTTP 403) from a user or an address that already has the
    most sockets allowed open in this process.

    Put it inside AuthMiddlewareStack, which sets scope["user"]. Anonymous sockets count against
    their address only; a logged-in user's count against both.
    """

    def __init__(self, application, *, per_user=None, per_address=None):
        self.application = application
        self.per_user = per_user
        self.per_address = per_address
        self.open = Counter()

    def limits(self):
        return {
            "user": self.per_user if self.per_user is not None else settings.WEBSOCKETS_PER_USER,
            "address": (
                self.per_address
                if self.per_address is not None
                else settings.WEBSOCKETS_PER_ADDRESS
            ),
        }

    async def __call__(self, scope, receive, send):
        if scope["type"] != "websocket":
            return await self.application(scope, receive, send)
        keys = limit_keys(scope.get("user"), client_address(scope))
        limits = self.limits()
        for key in keys:
            limit = limits[key.partition(":")[0]]
            if limit is not None and self.open[key] >= limit:
                logger.warning("refused a socket: %s already has %s open", key, self.open[key])
                from channels.security.websocket import WebsocketDenier

                return await WebsocketDenier()(scope, receive, send)
        self.open.update(keys)
        try:
            return await self.application(scope, receive, send)
        finally:
            self.open.subtract(keys)
            for key in keys:
                if self.open[key] <= 0:
                    del self.open[key]
