"""Every WebSocket path of the project, and every named channel a worker serves, collected
from the apps."""

import chat.routing
import game.routing
import notifications.routing
import transcripts.routing

websocket_urlpatterns = [
    *chat.routing.websocket_urlpatterns,
    *notifications.routing.websocket_urlpatterns,
    *game.routing.websocket_urlpatterns,
]

# Served by `python manage.py runworker CHANNEL`, never by the web server (see asgi.py).
channel_routes = {
    **transcripts.routing.channel_routes,
}
