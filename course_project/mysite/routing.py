"""Every WebSocket path of the project, collected from the apps."""

import chat.routing
import notifications.routing

websocket_urlpatterns = [
    *chat.routing.websocket_urlpatterns,
    *notifications.routing.websocket_urlpatterns,
]
