from django.urls import path

from . import consumers

websocket_urlpatterns = [
    # Any segment is routed; ChatConsumer refuses names that break the room-name rule, so a
    # bad name is a refused handshake rather than a "No route found" error in the server log.
    path("ws/chat/<str:room_name>/", consumers.ChatConsumer.as_asgi()),
]
