import hashlib

from chat.models import ANONYMOUS
from chat.rooms import is_valid_room_name
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
        # Join the group before reading the state, so no change falls between the two. The
        # socket leaves the group when it closes; the seat stays, so a reconnect resumes the game.
        await self.join_group(self.group_name)
        await self.accept()
        game = await Game.objects.filter(room=self.room_name).afirst() or Game(room=self.room_name)
        await self.show(game.state(), game.seats())

    async def receive_json(self, content):
        """Called with each decoded frame from this client."""
        name, value = parse_command(content)
        if self.player is None:
            raise FrameError("you are watching: log in, or open this game's page, to play")
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
