import hashlib
from datetime import timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from chat.models import ANONYMOUS
from chat.ratelimit import TokenBucket
from chat.rooms import is_valid_room_name
from mysite.limits import RateLimit, client_address, limit_keys
from mysite.websocket import FrameError, SafeJsonWebsocketConsumer

from .models import Game, GameError, change_game

COMMANDS_HELP = (
    'send one command: {"join": true}, {"move": 0-8}, {"new_game": true}, {"leave": true}'
)


def game_group_name(room_name):
    # The same room-name rule as chat (chat/rooms.py), so the name is always a valid group name.
    return f"game_{room_name}"


def player_identity(scope):
    """(player key, display name) for a socket, or (None, ...) for one that cannot take a seat.

    A logged-in user is their id, on any device; a guest is their session, which the game page
    starts, so a reconnect (even after a reload) finds the same seat. AuthMiddlewareStack has
    loaded the session by now: a cookie naming no stored session has no key.
    """
    user = scope["user"]
    if user.is_authenticated:
        return f"user:{user.pk}", user.username
    session_key = scope["session"].session_key
    if session_key:
        return f"session:{hashlib.sha256(session_key.encode()).hexdigest()}", ANONYMOUS
    return None, ANONYMOUS


def parse_command(content):
    """The one command in a decoded frame as (name, value), or FrameError saying what is wrong."""
    if len(content) != 1 or next(iter(content)) not in ("join", "move", "new_game", "leave"):
        raise FrameError(COMMANDS_HELP)
    name, value = next(iter(content.items()))
    # bool is a subclass of int: `true` is not cell 1.
    if name == "move" and (type(value) is not int or not 0 <= value <= 8):
        raise FrameError('"move" must be a cell number from 0 to 8')
    return name, value


async def seats_held(player, except_room):
    """How many other games `player` sits in (not counting seats left long enough to be free)."""
    recent = timezone.now() - timedelta(seconds=settings.GAME_SEAT_TIMEOUT)
    held = Game.objects.filter(Q(player_x=player) | Q(player_o=player), updated__gte=recent)
    return await held.exclude(room=except_room).acount()


def joins_per_minute():
    return RateLimit("game-joins", 60, per_address=settings.GAME_JOINS_PER_MINUTE_PER_ADDRESS)


class GameConsumer(SafeJsonWebsocketConsumer):
    """One socket on one room's game: the full state on connect and after every change, and
    this player's commands (join, move, new game, leave) checked by the server in between."""

    max_frame_length = 1024

    async def connect(self):
        """Called when a client asks to open the socket."""
        self.room_name = self.scope["url_route"]["kwargs"]["room_name"]
        if not is_valid_room_name(self.room_name):
            await self.close()  # before accept(): the handshake is refused with HTTP 403
            return
        self.group_name = game_group_name(self.room_name)
        self.player, self.player_name = player_identity(self.scope)
        self.version_shown = -1
        self.rate_limit = TokenBucket(settings.GAME_RATE_LIMIT, settings.GAME_RATE_BURST)
        # Join the group before reading the state, so no change falls between the two. The
        # socket leaves the group when it closes; the seat stays, so a reconnect resumes the game.
        await self.join_group(self.group_name)
        await self.accept()
        game = await Game.objects.filter(room=self.room_name).afirst() or Game(room=self.room_name)
        game.release_abandoned_seats()  # as the next change will find it (shown, not saved)
        await self.show(game.state(), game.seats())

    async def receive_json(self, content):
        """Called with each decoded frame from this client."""
        if not self.rate_limit.allow():
            raise FrameError(
                f"too many commands: at most {settings.GAME_RATE_LIMIT} a second; wait a moment"
            )
        name, value = parse_command(content)
        if self.player is None:
            raise FrameError("you are watching: log in, or open this game's page, to play")
        if name == "join":
            await self.check_join_limits()
        change = {
            "join": lambda game: game.join(self.player, self.player_name),
            "move": lambda game: game.play(self.player, value),
            "new_game": lambda game: game.new_game(self.player),
            "leave": lambda game: game.leave(self.player),
        }[name]
        try:
            game = await change_game(self.room_name, change)
        except GameError as error:
            raise FrameError(str(error)) from None
        await self.channel_layer.group_send(
            self.group_name, {"type": "game.state", "state": game.state(), "seats": game.seats()}
        )

    async def check_join_limits(self):
        """Refuse a seat to a player who sits in too many games, or an address joining fast."""
        most = settings.GAME_SEATS_PER_PLAYER
        if most is not None and await seats_held(self.player, self.room_name) >= most:
            raise FrameError(
                f"you already play in {most} other games: finish or leave one before joining"
            )
        address = client_address(self.scope)
        if not await joins_per_minute().ahit(limit_keys(address=address)):
            raise FrameError("too many players joined from your network lately: wait a minute")

    async def game_state(self, event):
        """Called for each new state sent to the room's group."""
        await self.show(event["state"], event["seats"])

    async def show(self, state, seats):
        # Broadcasts of two changes saved at once may arrive in either order, and the state read
        # on connect may already include a change whose broadcast is still on its way: show
        # only states newer than the last one shown.
        if state["version"] <= self.version_shown:
            return
        self.version_shown = state["version"]
        you = next(
            (mark for mark, key in seats.items() if self.player and key == self.player), None
        )
        await self.send_json({**state, "you": you})
