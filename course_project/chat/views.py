from django.shortcuts import render

from .models import Message


def index(request):
    """The room chooser, with the rooms people talked in lately."""
    return render(request, "chat/index.html", {"recent_rooms": Message.objects.recent_rooms()})


def room(request, room_name):
    return render(request, "chat/room.html", {"room_name": room_name})
