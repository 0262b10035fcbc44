import pytest
from django.db.models import F

from game.models import ATTEMPTS, EMPTY_BOARD, LINES, Game, GameError, change_game, winning_line


@pytest.mark.parametrize("line", LINES)
def test_every_line_of_three_wins(line):
    board = "".join("O" if cell in line else " " for cell in range(9))

    assert winning_line(board) == line


@pytest.mark.parametrize("board", [EMPTY_BOARD, "XOXXOOOXX", "XX O  O  "])
def test_no_line_no_winner(board):
    assert winning_line(board) is None


def test_summary_says_who_plays_and_how_it_ended():
    game = Game(room="r", name_x="alice", board="XXXOO    ", winner="X")

    assert game.summary() == "alice (X) v free (O): X won"
    assert Game(room="r").summary() == "free (X) v free (O): not started"


# The compare-and-swap, with the other writer made to land at the worst moment.


@pytest.fixture
async def seated_game():
    return await Game.objects.acreate(
        room="race", player_x="user:1", name_x="alice", player_o="user:2", name_o="bob"
    )


@pytest.fixture
def write_first(monkeypatch):
    """`write_first(competing, times=1)`: each of the next `times` saves finds that
    `competing(room)` saved a change after the row was read and before it is written."""
    original = Game.asave_if_unchanged

    def install(competing, times=1):
        raced = []

        async def save(self):
            if len(raced) < times:
                raced.append(self.version)
                await competing(self.room)
            return await original(self)

        monkeypatch.setattr(Game, "asave_if_unchanged", save)
        return raced

    return install


async def move_x_at_0(room):
    await Game.objects.filter(room=room).aupdate(
        board="X" + " " * 8, turn="O", version=F("version") + 1
    )


@pytest.mark.django_db(transaction=True)
async def test_a_stale_copy_is_never_written(seated_game):
    stale = await Game.objects.aget(pk=seated_game.pk)
    seated_game.play("user:1", 0)
    assert await seated_game.asave_if_unchanged() is True

    stale.play("user:1", 1)  # valid against what that copy read
    assert await stale.asave_if_unchanged() is False

    stored = await Game.objects.aget(pk=seated_game.pk)
    assert stored.board == "X" + " " * 8
    assert stored.version == 1


@pytest.mark.django_db(transaction=True)
async def test_a_move_that_lost_the_race_is_checked_again_and_refused(seated_game, write_first):
    raced = write_first(move_x_at_0)

    with pytest.raises(GameError, match="it is O's turn"):
        await change_game("race", lambda game: game.play("user:1", 4))

    assert raced == [0]
    stored = await Game.objects.aget(pk=seated_game.pk)
    assert stored.board == "X" + " " * 8  # only the move that won


@pytest.mark.django_db(transaction=True)
async def test_a_change_that_lost_the_race_but_still_fits_is_applied(write_first):
    async def bob_takes_x(room):
        await Game.objects.filter(room=room).aupdate(
            player_x="user:2", name_x="bob", version=F("version") + 1
        )

    write_first(bob_takes_x)

    game = await change_game("race", lambda game: game.join("user:1", "alice"))

    assert (game.name_x, game.name_o) == ("bob", "alice")
    assert game.version == 2


@pytest.mark.django_db(transaction=True)
async def test_a_change_beaten_every_time_gives_up_with_a_message(seated_game, write_first):
    async def touch(room):
        await Game.objects.filter(room=room).aupdate(version=F("version") + 1)

    raced = write_first(touch, times=ATTEMPTS)

    with pytest.raises(GameError, match="send it again"):
        await change_game("race", lambda game: game.play("user:1", 4))

    assert len(raced) == ATTEMPTS
    assert (await Game.objects.aget(pk=seated_game.pk)).board == EMPTY_BOARD
