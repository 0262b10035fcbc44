from django.conf import settings
from django.shortcuts import render

from .models import Message


def index(request):
    """The room chooser, with the rooms people talked in lately."""
    return render(request, "chat/index.html", {"recent_rooms": Message.objects.recent_rooms()})


def room(request, room_name):
    # The message box refuses what the server would refuse: its maxlength is the server's limit.
    context = {"room_name": room_name, "max_length": settings.CHAT_MAX_MESSAGE_LENGTH}
    return render(request, "chat/room.html", context)
