"""The ASGI entry point: HTTP goes to Django, WebSockets to Channels consumers.

Run it with `python manage.py runserver` (daphne), `daphne mysite.asgi:application`
or `uvicorn mysite.asgi:application`. Messages on named channels go to worker consumers, in
a process of its own: `python manage.py runworker chat-transcripts` (it needs REDIS_URL).
"""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mysite.settings")
# Set up Django (apps, settings) before importing anything that touches models.
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ChannelNameRouter, ProtocolTypeRouter, URLRouter  # noqa: E402

from accounts.middleware import TokenAuthMiddleware  # noqa: E402
from mysite.limits import ConnectionLimitMiddleware  # noqa: E402
from mysite.origins import ExactOriginValidator  # noqa: E402
from mysite.prefix import WebSocketScriptName  # noqa: E402
from mysite.routing import channel_routes, websocket_urlpatterns  # noqa: E402


def websocket_application(router):
    """The stack every WebSocket goes through, with `router` picking the consumer at the end.

    Refuse sockets opened from other origins' pages (they would carry our users' cookies),
    resolve scope["user"] from the session cookie (or a script's bearer token), refuse a user or
    address with too many sockets open, then let `router` pick a consumer by path (under the
    site's prefix, when it is served under one behind a proxy: mysite/prefix.py). A function,
    so that whatever serves these sockets with routes of its own (a test, the course's notebook
    server) gets exactly this stack.
    """
    return ExactOriginValidator(
        AuthMiddlewareStack(
            TokenAuthMiddleware(ConnectionLimitMiddleware(WebSocketScriptName(router)))
        )
    )


application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": websocket_application(URLRouter(websocket_urlpatterns)),
        # Only `manage.py runworker` sends "channel" scopes: a message on a named channel goes
        # to the consumer registered for that name. Web servers never route anything here.
        "channel": ChannelNameRouter(channel_routes),
    }
)
