from django.urls import path, re_path

from chat.rooms import ROOM_NAME_PATTERN

from . import views

app_name = "game"
urlpatterns = [
    path("", views.index, name="index"),
    # The room-name rule of chat/rooms.py: anything else is a 404 before a view runs.
    re_path(rf"^(?P<room_name>{ROOM_NAME_PATTERN})/$", views.room, name="room"),
]
