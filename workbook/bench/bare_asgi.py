"""course_project's ASGI application plus what only benchmarks need.

- The bare tutorial consumer at /ws/bare/<room>/, added to the project's own WebSocket routes, so
  it runs behind the very same ProtocolTypeRouter and WebSocket stack (origin check,
  AuthMiddlewareStack, connection limits) as the course's ChatConsumer, on the same server and
  channel layer.
- The course's consumer as it was before it stored messages first
  (workbook/bench/stored_later.py) at /ws/later/<room>/, in the same way: the at-most-once
  baseline of lesson 14.
- GET /bench/stats/: the server loop's task count, thread count, tracked Python objects and
  in-memory layer size, read by the connection benchmark. It lives here only; course_project
  never serves it.

Serve it like mysite.asgi, with course_project on the path:
`daphne workbook.bench.bare_asgi:application`.
"""

import asyncio
import gc
import json
import os
import threading

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
django.setup(set_prefix=False)

from channels.layers import InMemoryChannelLayer, get_channel_layer  # noqa: E402
from django.urls import path  # noqa: E402

from mysite import routing  # noqa: E402
from workbook.bench import STATS_PATH  # noqa: E402
from workbook.bench.bare import BareChatConsumer  # noqa: E402
from workbook.bench.stored_later import StoredLaterChatConsumer  # noqa: E402

# Added before mysite.asgi builds its URLRouter from this list, so the project's application
# object itself serves these consumers: no second copy of the middleware stack to drift.
# First, ahead of the project's last route, which refuses every path nothing else serves.
routing.websocket_urlpatterns[:0] = [
    path("ws/bare/<str:room_name>/", BareChatConsumer.as_asgi()),
    path("ws/later/<str:room_name>/", StoredLaterChatConsumer.as_asgi()),
]

from mysite.asgi import application as project_application  # noqa: E402


def server_stats():
    """What a leak would show first: tasks on this loop, threads, live Python objects (counted
    after a full collection, so garbage not yet collected does not look like a leak), and the
    channels and group members the in-memory layer still holds."""
    gc.collect()
    stats = {
        "tasks": len(asyncio.all_tasks()),
        "threads": threading.active_count(),
        "gc_objects": len(gc.get_objects()),
    }
    layer = get_channel_layer()
    if isinstance(layer, InMemoryChannelLayer):
        stats["layer_channels"] = len(layer.channels)
        stats["layer_group_members"] = sum(len(members) for members in layer.groups.values())
    return stats


async def send_stats(send):
    body = json.dumps(server_stats()).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def application(scope, receive, send):
    if scope["type"] == "http" and scope["path"] == STATS_PATH:
        await send_stats(send)
    else:
        await project_application(scope, receive, send)
