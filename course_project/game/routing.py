from django.urls import path

from . import consumers

websocket_urlpatterns = [
    # Any segment is routed; GameConsumer refuses names that break the room-name rule.
    path("ws/game/<str:room_name>/", consumers.GameConsumer.as_asgi()),
]
