"""Every WebSocket path of the project, and every named channel a worker serves, collected
from the apps."""

from django.urls import re_path

import chat.routing
import game.routing
import notifications.routing
import transcripts.routing
from mysite.websocket import WebsocketNotFound

websocket_urlpatterns = [
    *chat.routing.websocket_urlpatterns,
    *notifications.routing.websocket_urlpatterns,
    *game.routing.websocket_urlpatterns,
    # Last: any other path (say /ws/chat/a%2fb/, whose %2f decodes to a slash no room name
    # may hold) is refused as not found, rather than raising "No route found" in the server.
    re_path(r"", WebsocketNotFound.as_asgi()),
]

# Served by `python manage.py runworker CHANNEL`, never by the web server (see asgi.py).
channel_routes = {
    **transcripts.routing.channel_routes,
}
