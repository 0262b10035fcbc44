from django.urls import path, register_converter

from . import views
from .rooms import RoomNameConverter

register_converter(RoomNameConverter, "room")

app_name = "chat"
urlpatterns = [
    path("", views.index, name="index"),
    path("<room:room_name>/", views.room, name="room"),
]
