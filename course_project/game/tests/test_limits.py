"""Limits that keep one player (or one script) from spoiling the game for everyone."""

from datetime import timedelta

import pytest
from django.utils import timezone

from game.models import Game

from .test_consumers import applied, error, refused, state

pytestmark = pytest.mark.django_db(transaction=True)


async def test_a_flood_of_commands_is_refused_past_the_rate_limit(settings, game_socket, alice):
    # The attack: 2,000 commands in 1.8 s from one socket, every one checked and answered.
    settings.GAME_RATE_LIMIT, settings.GAME_RATE_BURST = 1, 5
    socket = await game_socket("flood", user=alice)
    for _ in range(50):
        await socket.send_json_to({"leave": True})
    replies = [await error(socket) for _ in range(50)]

    limited = [reply for reply in replies if reply.startswith("too many commands")]
    assert len(limited) >= 35
    assert replies[0] == "you hold no seat here"  # the first ones are still checked


async def test_one_player_sits_in_a_few_games_at_most(settings, game_socket, alice):
    # The attack: one guest took a seat in 100 rooms in 7 s.
    settings.GAME_SEATS_PER_PLAYER = 3
    for room in ("seat-1", "seat-2", "seat-3"):
        await applied({"join": True}, await game_socket(room, user=alice))
    fourth = await game_socket("seat-4", user=alice)

    assert await refused(fourth, {"join": True}) == (
        "you already play in 3 other games: finish or leave one before joining"
    )
    await applied({"leave": True}, await game_socket("seat-1", user=alice))
    await applied({"join": True}, fourth)


async def test_an_address_joining_very_fast_is_slowed_down(
    settings, game_socket, alice, bob, carol
):
    settings.GAME_JOINS_PER_MINUTE_PER_ADDRESS = 2
    await applied({"join": True}, await game_socket("fast-1", user=alice))
    await applied({"join": True}, await game_socket("fast-2", user=bob))

    third = await game_socket("fast-3", user=carol)
    assert "too many players joined from your network" in await refused(third, {"join": True})


async def make_idle(room, seconds):
    await Game.objects.filter(room=room).aupdate(
        updated=timezone.now() - timedelta(seconds=seconds)
    )


async def test_two_guests_who_leave_mid_game_do_not_lock_the_room(
    settings, game_socket, guest_cookie
):
    # The attack: two guests, one move, and the room was locked for ever.
    x = await game_socket("locked", cookie=await guest_cookie())
    o = await game_socket("locked", cookie=await guest_cookie())
    await applied({"join": True}, x, o)
    await applied({"join": True}, o, x)
    await applied({"move": 4}, x, o)
    await x.disconnect()
    await o.disconnect()
    newcomer = await game_socket("locked", cookie=await guest_cookie())
    assert await refused(newcomer, {"join": True}) == "both seats are taken: you can watch"

    await make_idle("locked", settings.GAME_SEAT_TIMEOUT + 1)
    again = await game_socket("locked", cookie=await guest_cookie())
    # O had the turn and never moved: O's seat is free, the board cleared; X keeps X.
    assert again.initial["players"] == {"X": "anonymous", "O": None}
    assert again.initial["board"] == [""] * 9
    await again.send_json_to({"join": True})
    assert (await state(again))["you"] == "O"


async def test_a_game_not_started_frees_both_seats_when_left(settings, game_socket, alice, bob):
    await applied({"join": True}, await game_socket("waiting", user=alice))
    await make_idle("waiting", settings.GAME_SEAT_TIMEOUT + 1)

    late = await game_socket("waiting", user=bob)
    assert late.initial["players"] == {"X": None, "O": None}
    await late.send_json_to({"join": True})
    assert (await state(late))["you"] == "X"


async def test_a_player_still_there_keeps_the_seat(settings, game_socket, alice, bob, carol):
    x = await game_socket("busy", user=alice)
    o = await game_socket("busy", user=bob)
    await applied({"join": True}, x, o)
    await applied({"join": True}, o, x)
    await make_idle("busy", settings.GAME_SEAT_TIMEOUT - 30)

    watcher = await game_socket("busy", user=carol)
    assert await refused(watcher, {"join": True}) == "both seats are taken: you can watch"
