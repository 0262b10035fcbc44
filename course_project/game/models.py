"""Tic-tac-toe, one game per room, kept in the database: the server decides, clients only ask.

Every change is a compare-and-swap on `version`: read the row, check the rules against it, and
write it back only if `version` is still the one read, in one `UPDATE ... WHERE version = v`.
Of two changes made at once, one writes; the other finds the row changed, reads it again and is
checked again (and is usually told it is no longer that player's turn). Two moves can never
both apply, whichever process or thread each arrives in.
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone

EMPTY = " "
EMPTY_BOARD = EMPTY * 9
DRAW = "draw"
LINES = (
    (0, 1, 2),
    (3, 4, 5),
    (6, 7, 8),
    (0, 3, 6),
    (1, 4, 7),
    (2, 5, 8),
    (0, 4, 8),
    (2, 4, 6),
)
#: Re-reads allowed when other changes keep landing first, before the player is told to retry.
ATTEMPTS = 10


class GameError(ValueError):
    """A command the rules refuse; the message goes back to the player who sent it."""


def winning_line(board):
    """The three cells of a completed line on `board` (a 9-character string), or None."""
    for line in LINES:
        first, second, third = (board[cell] for cell in line)
        if first != EMPTY and first == second == third:
            return line
    return None


def other(mark):
    return "O" if mark == "X" else "X"


class Game(models.Model):
    room = models.CharField(max_length=64, unique=True)
    #: Cells 0-8, row by row: "X", "O" or " ".
    board = models.CharField(max_length=9, default=EMPTY_BOARD)
    # Who holds each seat: "user:<id>" for a logged-in user, "session:<SHA-256 of the session
    # key>" for a guest (hashed: the table never holds a usable session key). Blank when free.
    player_x = models.CharField(max_length=80, blank=True)
    player_o = models.CharField(max_length=80, blank=True)
    name_x = models.CharField(max_length=150, blank=True)
    name_o = models.CharField(max_length=150, blank=True)
    turn = models.CharField(max_length=1, default="X")
    #: "X", "O" or "draw" once the game is over; blank while it is not.
    winner = models.CharField(max_length=4, blank=True)
    #: One more with every saved change; the compare-and-swap compares it.
    version = models.PositiveIntegerField(default=0)
    updated = models.DateTimeField(default=timezone.now)

    #: What a change may set (everything but the room and the version).
    STATE_FIELDS = ["board", "player_x", "player_o", "name_x", "name_o", "turn", "winner"]

    class Meta:
        indexes = [models.Index(fields=["-updated"], name="game_recent")]

    def __str__(self):
        return f"#{self.room}: {self.summary()}"

    # Reading the state.

    @property
    def finished(self):
        return bool(self.winner)

    @property
    def in_progress(self):
        """Moves made and no result yet: seats are held until it ends."""
        return self.board != EMPTY_BOARD and not self.finished

    def seat_of(self, player):
        """The mark `player` plays, or None if they hold no seat."""
        if player and player == self.player_x:
            return "X"
        if player and player == self.player_o:
            return "O"
        return None

    def seats(self):
        return {"X": self.player_x, "O": self.player_o}

    def idle_for(self, now=None):
        return (now or timezone.now()) - self.updated

    def release_abandoned_seats(self, now=None):
        """Free the seats of players who are gone; True if anything changed.

        Nobody is watched: a game that has not changed for GAME_SEAT_TIMEOUT seconds tells. In
        a game under way, the player whose turn it is has not moved: their seat is freed and
        the board cleared, and their opponent keeps their seat. A game not started or already
        over frees both seats. Without this, two players who leave mid-game lock the room for
        ever (leave() is refused mid-game, so that a dropped connection keeps its seat).
        """
        if not (self.player_x or self.player_o):
            return False
        if self.idle_for(now) < timedelta(seconds=settings.GAME_SEAT_TIMEOUT):
            return False
        if self.in_progress:
            if self.turn == "X":
                self.player_x, self.name_x = "", ""
            else:
                self.player_o, self.name_o = "", ""
        else:
            self.player_x = self.player_o = self.name_x = self.name_o = ""
        self.board, self.turn, self.winner = EMPTY_BOARD, "X", ""
        return True

    def state(self):
        """What every socket in the room is shown (player keys never leave the server)."""
        line = winning_line(self.board)
        return {
            "type": "state",
            "room": self.room,
            "board": [cell.strip() for cell in self.board],
            "players": {"X": self.name_x or None, "O": self.name_o or None},
            "turn": self.turn,
            "winner": self.winner or None,
            "line": list(line) if line else None,
            "in_progress": self.in_progress,
            "version": self.version,
        }

    def summary(self):
        players = f"{self.name_x or 'free'} (X) v {self.name_o or 'free'} (O)"
        if self.winner == DRAW:
            return f"{players}: a draw"
        if self.winner:
            return f"{players}: {self.winner} won"
        return f"{players}: {'playing' if self.in_progress else 'not started'}"

    # Changing it: each checks the rules against this copy, then changes it in memory only.

    def join(self, player, name):
        """Take the first free seat: X, then O."""
        mark = self.seat_of(player)
        if mark:
            raise GameError(f"you already play {mark} here")
        if not self.player_x:
            self.player_x, self.name_x = player, name
        elif not self.player_o:
            self.player_o, self.name_o = player, name
        else:
            raise GameError("both seats are taken: you can watch")

    def play(self, player, cell):
        mark = self.seat_of(player)
        if mark is None:
            raise GameError("you are not playing in this game: join first")
        if self.finished:
            raise GameError("the game is over: start a new game")
        if not (self.player_x and self.player_o):
            raise GameError("wait for a second player to join")
        if mark != self.turn:
            raise GameError(f"it is {self.turn}'s turn")
        if self.board[cell] != EMPTY:
            raise GameError(f"cell {cell} is taken")
        self.board = self.board[:cell] + mark + self.board[cell + 1 :]
        if winning_line(self.board):
            self.winner = mark
        elif EMPTY not in self.board:
            self.winner = DRAW
        else:
            self.turn = other(mark)

    def new_game(self, player):
        """A fresh board once this one is over; the seats stay, X starts."""
        if self.seat_of(player) is None:
            raise GameError("only the players can start a new game")
        if not self.finished:
            raise GameError("finish this game first")
        self.board, self.turn, self.winner = EMPTY_BOARD, "X", ""

    def leave(self, player):
        """Give up a seat, but never mid-game: a player who only lost their connection must
        find the seat waiting when they come back."""
        mark = self.seat_of(player)
        if mark is None:
            raise GameError("you hold no seat here")
        if self.in_progress:
            raise GameError("you cannot leave in the middle of a game; finish it first")
        if mark == "X":
            self.player_x, self.name_x = "", ""
        else:
            self.player_o, self.name_o = "", ""

    # Saving.

    async def asave_if_unchanged(self):
        """Write the state fields if nobody saved a change since this copy was read.

        One UPDATE with `version = <the version read>` in its WHERE clause: the database does
        the compare and the swap together. True if it wrote, False if another change won.
        """
        read = self.version
        self.updated = timezone.now()
        fields = {name: getattr(self, name) for name in self.STATE_FIELDS}
        written = await Game.objects.filter(pk=self.pk, version=read).aupdate(
            version=read + 1, updated=self.updated, **fields
        )
        if written:
            self.version = read + 1
        return bool(written)


async def change_game(room, change):
    """Apply `change(game)` to the room's game and save it; return the game as saved.

    `change` checks the rules against the row as read and raises GameError to refuse. If
    another change is saved in between, the row is read and checked again.
    """
    for _ in range(ATTEMPTS):
        game, _ = await Game.objects.aget_or_create(room=room)
        game.release_abandoned_seats()
        change(game)
        if await game.asave_if_unchanged():
            return game
    raise GameError("the game kept changing while your command was checked: send it again")
