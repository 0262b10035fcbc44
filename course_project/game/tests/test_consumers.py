"""Every rule of the game, through real sockets on the full ASGI application."""

import asyncio

import pytest
from channels.layers import get_channel_layer

from game.consumers import COMMANDS_HELP, game_group_name
from game.models import Game

from .conftest import TIMEOUT

pytestmark = pytest.mark.django_db(transaction=True)

EMPTY_BOARD = [""] * 9


async def state(socket):
    """The next message, which must be a state."""
    message = await socket.receive_json_from(timeout=TIMEOUT)
    assert message.get("type") == "state", message
    return message


async def error(socket):
    """The next message, which must be an error; its text."""
    message = await socket.receive_json_from(timeout=TIMEOUT)
    assert set(message) == {"error"}, message
    return message["error"]


async def refused(socket, command):
    """Send a command the server must refuse; the refusal's text."""
    await socket.send_json_to(command)
    return await error(socket)


async def applied(command, sender, *others):
    """Send a command that must be accepted; the state every socket then gets (the sender's)."""
    await sender.send_json_to(command)
    states = [await state(socket) for socket in (sender, *others)]
    assert len({s["version"] for s in states}) == 1
    return states[0]


async def replies_until_processed(socket):
    """Every message before the socket's answer to a bad frame sent now. A consumer handles one
    frame at a time, so by that answer it has handled (and answered) every earlier frame."""
    await socket.send_json_to({})
    replies = []
    while (reply := await socket.receive_json_from(timeout=TIMEOUT)) != {"error": COMMANDS_HELP}:
        replies.append(reply)
    return replies


async def stored_board(room):
    return (await Game.objects.aget(room=room)).board


@pytest.fixture
async def players(game_socket, alice, bob, room_name):
    """alice plays X and bob O, each on one socket, both seated."""
    x = await game_socket(room_name, user=alice)
    o = await game_socket(room_name, user=bob)
    await applied({"join": True}, x, o)
    await applied({"join": True}, o, x)
    return x, o


async def play(x, o, *cells, watchers=()):
    """Alternate moves, X first, each seen by every socket; the state after the last one."""
    sockets = [x, o]
    for turn, cell in enumerate(cells):
        mover, waiting = sockets[turn % 2], sockets[(turn + 1) % 2]
        last = await applied({"move": cell}, mover, waiting, *watchers)
    return last


# Connecting.


async def test_connect_gets_the_full_state(game_socket, room_name):
    watcher = await game_socket(room_name)

    assert watcher.initial == {
        "type": "state",
        "room": room_name,
        "board": EMPTY_BOARD,
        "players": {"X": None, "O": None},
        "turn": "X",
        "winner": None,
        "line": None,
        "in_progress": False,
        "version": 0,
        "you": None,
    }


async def test_connect_to_a_game_in_progress_gets_its_state(game_socket, players, room_name):
    x, o = players
    await play(x, o, 4)

    latecomer = await game_socket(room_name)

    assert latecomer.initial["board"] == ["", "", "", "", "X", "", "", "", ""]
    assert latecomer.initial["players"] == {"X": "alice", "O": "bob"}
    assert latecomer.initial["turn"] == "O"
    assert latecomer.initial["you"] is None


@pytest.mark.parametrize("room", ["x" * 65, "has space", "a+b"])
async def test_invalid_room_name_refuses_the_socket(websocket_connect, room):
    connected, _ = await websocket_connect(f"/ws/game/{room}/")

    assert connected is False


async def test_foreign_origin_is_refused(websocket_connect, room_name):
    connected, _ = await websocket_connect(f"/ws/game/{room_name}/", origin=b"http://evil.example")

    assert connected is False


# Joining.


async def test_first_two_players_take_x_then_o_and_the_rest_watch(
    game_socket, alice, bob, carol, room_name
):
    x = await game_socket(room_name, user=alice)
    o = await game_socket(room_name, user=bob)
    watcher = await game_socket(room_name, user=carol)

    after_x = await applied({"join": True}, x, o, watcher)
    assert after_x["you"] == "X"
    assert after_x["players"] == {"X": "alice", "O": None}
    after_o = await applied({"join": True}, o, x, watcher)
    assert after_o["you"] == "O"
    assert after_o["players"] == {"X": "alice", "O": "bob"}

    assert await refused(watcher, {"join": True}) == "both seats are taken: you can watch"
    assert await x.receive_nothing()


async def test_each_socket_is_told_its_own_mark(game_socket, players, carol, room_name):
    x, o = players
    watcher = await game_socket(room_name, user=carol)

    await x.send_json_to({"move": 0})
    seen = {name: await state(socket) for name, socket in [("x", x), ("o", o), ("w", watcher)]}

    assert [seen[name]["you"] for name in ("x", "o", "w")] == ["X", "O", None]
    without_you = [{k: v for k, v in s.items() if k != "you"} for s in seen.values()]
    assert without_you[0] == without_you[1] == without_you[2]


async def test_a_player_cannot_take_both_seats(game_socket, alice, room_name):
    first = await game_socket(room_name, user=alice)
    second = await game_socket(room_name, user=alice)
    await applied({"join": True}, first, second)

    assert await refused(second, {"join": True}) == "you already play X here"
    assert await refused(first, {"join": True}) == "you already play X here"


async def test_guests_play_by_their_session(game_socket, guest_cookie, room_name):
    x = await game_socket(room_name, cookie=await guest_cookie())
    o = await game_socket(room_name, cookie=await guest_cookie())

    await applied({"join": True}, x, o)
    after = await applied({"join": True}, o, x)

    assert after["you"] == "O"
    assert after["players"] == {"X": "anonymous", "O": "anonymous"}
    assert (await play(x, o, 4))["board"][4] == "X"


async def test_a_socket_without_a_session_can_only_watch(game_socket, room_name):
    watcher = await game_socket(room_name)
    made_up = await game_socket(room_name, cookie=b"sessionid=abcdefghijklmnopqrstuvwxyz012345")

    for socket in (watcher, made_up):
        assert (await refused(socket, {"join": True})).startswith("you are watching")


async def test_session_keys_never_reach_the_database_or_the_clients(
    game_socket, guest_cookie, room_name
):
    cookie = await guest_cookie()
    player = await game_socket(room_name, cookie=cookie)

    after = await applied({"join": True}, player)

    session_key = cookie.decode().split("=", 1)[1]
    game = await Game.objects.aget(room=room_name)
    assert game.player_x.startswith("session:")
    assert session_key not in game.player_x
    assert session_key not in str(after)


# Moves.


async def test_no_move_before_both_seats_are_taken(game_socket, alice, room_name):
    x = await game_socket(room_name, user=alice)
    await applied({"join": True}, x)

    assert await refused(x, {"move": 4}) == "wait for a second player to join"


async def test_turns_alternate_and_are_enforced(players):
    x, o = players

    assert await refused(o, {"move": 0}) == "it is X's turn"
    after = await play(x, o, 0)
    assert after["turn"] == "O"
    assert await refused(x, {"move": 1}) == "it is O's turn"
    assert (await play(o, x, 1))["turn"] == "X"


async def test_watchers_cannot_move(game_socket, players, carol, room_name):
    watcher = await game_socket(room_name, user=carol)

    assert await refused(watcher, {"move": 0}) == "you are not playing in this game: join first"


@pytest.mark.parametrize("cell", [-1, 9, 100, "4", 4.0, True, None, [4], {"cell": 4}])
async def test_a_move_must_name_a_cell_from_0_to_8(players, cell):
    x, _ = players

    assert await refused(x, {"move": cell}) == '"move" must be a cell number from 0 to 8'


async def test_a_taken_cell_is_refused(players, room_name):
    x, o = players
    await play(x, o, 4)

    assert await refused(o, {"move": 4}) == "cell 4 is taken"
    assert await stored_board(room_name) == "    X    "


@pytest.mark.parametrize(
    ("cells", "line"),
    [
        ((0, 3, 1, 4, 2), [0, 1, 2]),
        ((0, 1, 3, 2, 6), [0, 3, 6]),
        ((0, 1, 4, 2, 8), [0, 4, 8]),
        ((2, 0, 4, 1, 6), [2, 4, 6]),
    ],
)
async def test_three_in_a_line_wins(players, cells, line):
    x, o = players

    final = await play(x, o, *cells)

    assert final["winner"] == "X"
    assert final["line"] == line
    assert final["in_progress"] is False
    assert await refused(o, {"move": 8 if 8 not in cells else 5}) == (
        "the game is over: start a new game"
    )


async def test_o_can_win_too(players):
    x, o = players

    final = await play(x, o, 0, 3, 1, 4, 8, 5)

    assert final["winner"] == "O"
    assert final["line"] == [3, 4, 5]


async def test_a_full_board_without_a_line_is_a_draw(players):
    x, o = players

    final = await play(x, o, 0, 1, 2, 4, 3, 5, 7, 6, 8)

    assert final["winner"] == "draw"
    assert final["line"] is None
    assert final["board"] == ["X", "O", "X", "X", "O", "O", "O", "X", "X"]


# New game, leaving, reconnecting.


async def test_new_game_only_once_the_game_is_over(game_socket, players, carol, room_name):
    x, o = players
    watcher = await game_socket(room_name, user=carol)
    await play(x, o, 0, 3, watchers=[watcher])

    assert await refused(x, {"new_game": True}) == "finish this game first"

    finished = await play(x, o, 1, 4, 2, watchers=[watcher])
    assert finished["winner"] == "X"
    assert await refused(watcher, {"new_game": True}) == "only the players can start a new game"

    fresh = await applied({"new_game": True}, o, x, watcher)
    assert fresh["board"] == EMPTY_BOARD
    assert fresh["winner"] is None
    assert fresh["turn"] == "X"
    assert fresh["players"] == {"X": "alice", "O": "bob"}
    assert fresh["version"] > finished["version"]
    assert (await play(x, o, 8))["board"][8] == "X"


async def test_a_reconnecting_player_gets_their_seat_back(game_socket, players, alice, room_name):
    x, o = players
    await play(x, o, 0, 4)
    await x.disconnect()

    back = await game_socket(room_name, user=alice)

    assert back.initial["you"] == "X"
    assert back.initial["board"][0] == "X"
    assert back.initial["turn"] == "X"
    assert (await applied({"move": 8}, back, o))["board"][8] == "X"


async def test_a_reconnecting_guest_gets_their_seat_back(game_socket, guest_cookie, room_name):
    cookie = await guest_cookie()
    first = await game_socket(room_name, cookie=cookie)
    await applied({"join": True}, first)
    await first.disconnect()

    again = await game_socket(room_name, cookie=cookie)

    assert again.initial["you"] == "X"


async def test_leaving_mid_game_is_refused_and_keeps_the_seat(players, room_name):
    x, o = players
    await play(x, o, 0)

    assert await refused(o, {"leave": True}) == (
        "you cannot leave in the middle of a game; finish it first"
    )
    assert (await Game.objects.aget(room=room_name)).name_o == "bob"


async def test_leaving_before_the_first_move_frees_the_seat(game_socket, players, carol, room_name):
    x, o = players
    newcomer = await game_socket(room_name, user=carol)

    after = await applied({"leave": True}, o, x, newcomer)
    assert after["players"] == {"X": "alice", "O": None}
    assert after["you"] is None

    joined = await applied({"join": True}, newcomer, x, o)
    assert joined["players"] == {"X": "alice", "O": "carol"}


async def test_leaving_after_the_game_is_over_is_allowed(players):
    x, o = players
    await play(x, o, 0, 3, 1, 4, 2)

    after = await applied({"leave": True}, x, o)

    assert after["players"]["X"] is None
    assert await refused(x, {"leave": True}) == "you hold no seat here"


# Races, broadcasts, isolation.


async def test_two_simultaneous_moves_never_both_apply(game_socket, players, alice, room_name):
    x, o = players
    x_again = await game_socket(room_name, user=alice)  # alice, in a second window

    await asyncio.gather(x.send_json_to({"move": 0}), x_again.send_json_to({"move": 1}))

    errors = []
    for socket in (x, x_again):
        replies = await replies_until_processed(socket)
        errors += [reply["error"] for reply in replies if "error" in reply]
        states = [reply for reply in replies if "error" not in reply]
        if not states:  # the accepted move's broadcast may come after the answer to {}
            states.append(await state(socket))
        assert len(states) == 1
    assert errors == ["it is O's turn"]
    assert sorted(await stored_board(room_name)) == sorted("X" + " " * 8)
    assert (await state(o))["turn"] == "O"
    for socket in (x, x_again, o):
        assert await socket.receive_nothing()


async def test_other_rooms_see_nothing(game_socket, players, room_name):
    x, o = players
    elsewhere = await game_socket(f"{room_name}-other")

    await play(x, o, 4)

    assert await elsewhere.receive_nothing()
    assert elsewhere.initial["board"] == EMPTY_BOARD


async def test_an_older_state_arriving_late_is_not_shown(players, room_name):
    x, o = players
    current = await play(x, o, 4)
    older = {**current, "version": current["version"] - 1, "board": EMPTY_BOARD}
    del older["you"]

    await get_channel_layer().group_send(
        game_group_name(room_name),
        {"type": "game.state", "state": older, "seats": {"X": "", "O": ""}},
    )

    assert await x.receive_nothing()
    assert await o.receive_nothing()


# Bad frames.


@pytest.mark.parametrize(
    ("frame", "reply"),
    [
        ({"bytes_data": b"\x00\x01"}, "binary frames are not accepted; send JSON text"),
        ({"text_data": "{not json"}, "frame is not valid JSON"),
        ({"text_data": "[1, 2]"}, "frame must be a JSON object"),
        ({"text_data": "{}"}, COMMANDS_HELP),
        ({"text_data": '{"jump": 1}'}, COMMANDS_HELP),
        ({"text_data": '{"join": true, "move": 1}'}, COMMANDS_HELP),
        ({"text_data": '{"move": 1, "extra": 2}'}, COMMANDS_HELP),
        ({"text_data": "x" * 2000}, "frame too large: at most 1024 characters"),
    ],
)
async def test_a_bad_frame_gets_an_error_and_the_socket_lives_on(players, frame, reply):
    x, o = players

    await x.send_to(**frame)

    assert await error(x) == reply
    assert (await play(x, o, 4))["board"][4] == "X"
