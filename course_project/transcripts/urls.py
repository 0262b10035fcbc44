from django.urls import path, re_path

from chat.rooms import ROOM_NAME_PATTERN

from . import views

app_name = "transcripts"
urlpatterns = [
    # On the room's own path, with the room-name rule of chat/rooms.py.
    re_path(rf"^chat/(?P<room_name>{ROOM_NAME_PATTERN})/transcript/$", views.export, name="export"),
    path("transcripts/<int:pk>/", views.download, name="download"),
]
