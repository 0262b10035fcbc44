from django.shortcuts import redirect, render

from chat.rooms import is_valid_room_name

from .models import Game

BAD_ROOM_NAME = "Use letters, digits, _ . or -, up to 64 characters."


def index(request):
    """Pick a room (`?room=name` goes there), with the games played lately."""
    room = request.GET.get("room", "").strip()
    if room and is_valid_room_name(room):
        return redirect("game:room", room_name=room)
    context = {
        "room": room,
        "error": BAD_ROOM_NAME if "room" in request.GET else "",
        "games": Game.objects.order_by("-updated")[:20],
    }
    return render(request, "game/index.html", context)


def room(request, room_name):
    if not request.user.is_authenticated and "game_guest" not in request.session:
        # A guest is recognised by their session, to give them their seat back when they
        # reconnect; storing something makes SessionMiddleware save it and set the cookie.
        request.session["game_guest"] = True
    return render(request, "game/room.html", {"room_name": room_name, "cells": range(9)})
