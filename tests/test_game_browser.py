"""The capstone game in a real browser against a real daphne process: two people, each in a
window of their own (a browser context: its own cookies, so its own guest session)."""

import pytest
from playwright.sync_api import expect

from workbook.processes import start_server

pytestmark = pytest.mark.browser

TIMEOUT = 10_000  # ms: every wait in the browser has an explicit limit


@pytest.fixture(scope="module")
def server():
    with start_server("daphne") as server:
        yield server


@pytest.fixture
def window(browser):
    """`page = window()`: a page in a new browser context, closed after the test."""
    contexts = []

    def open_window():
        context = browser.new_context()
        context.set_default_timeout(TIMEOUT)
        contexts.append(context)
        return context.new_page()

    yield open_window
    for context in contexts:
        context.close()


def open_game(page, server, room):
    page.goto(server.url(f"/game/{room}/"))
    # The first state has arrived over the socket once the page says who you are.
    expect(page.locator("#game-you")).not_to_have_text("")
    return page


def cell(page, number):
    return page.locator(f'#game-board .cell[data-cell="{number}"]')


def join(page, mark):
    page.locator("#game-join").click()
    expect(page.locator("#game-you")).to_have_text(f"You play {mark}.")


def move(page, number, mark):
    # A cell is enabled only on the player's own turn, and click() waits for that: each move
    # waits for the state after the opponent's move to arrive.
    cell(page, number).click()
    expect(cell(page, number)).to_have_text(mark)


@pytest.fixture
def two_players(window, server, request):
    room = request.node.name.replace("test_", "")[:64]
    x, o = open_game(window(), server, room), open_game(window(), server, room)
    join(x, "X")
    join(o, "O")
    return x, o, room


def test_two_players_play_to_a_win_and_both_see_the_winner(two_players, window, server):
    x, o, room = two_players
    watcher = open_game(window(), server, room)
    expect(x.locator("#game-turn")).to_have_text("Your turn (X).")
    expect(o.locator("#game-turn")).to_have_text("X to play.")

    for page, number, mark in [(x, 0, "X"), (o, 3, "O"), (x, 1, "X"), (o, 4, "O"), (x, 2, "X")]:
        move(page, number, mark)

    for page in (x, o, watcher):
        expect(page.locator("#game-winner")).to_have_text("X wins (anonymous).")
        expect(page.locator("#game-turn")).to_have_text("Game over.")
        expect(page.locator("#game-board .cell.winning")).to_have_count(3)
        expect(page.locator("#game-board .cell:enabled")).to_have_count(0)
    expect(watcher.locator("#game-you")).to_have_text("You are watching.")
    expect(watcher.locator("#game-join")).to_be_hidden()


def test_a_new_game_clears_the_board_for_both(two_players):
    x, o, _ = two_players
    for page, number, mark in [(x, 0, "X"), (o, 3, "O"), (x, 1, "X"), (o, 4, "O"), (x, 2, "X")]:
        move(page, number, mark)

    o.locator("#game-new").click()

    for page in (x, o):
        expect(page.locator("#game-winner")).to_be_hidden()
        expect(page.locator("#game-board .cell")).to_have_text([""] * 9)
    move(x, 8, "X")


def test_a_reload_gives_the_player_their_seat_and_the_board_back(two_players):
    x, o, _ = two_players
    move(x, 4, "X")

    x.reload()

    expect(x.locator("#game-you")).to_have_text("You play X.")
    expect(cell(x, 4)).to_have_text("X")
    expect(x.locator("#game-turn")).to_have_text("O to play.")
    move(o, 0, "O")
    move(x, 8, "X")


def test_a_refused_move_shows_the_servers_reason(two_players):
    x, _, _ = two_players
    move(x, 4, "X")

    # Cells are disabled out of turn; a hand-made frame gets the server's refusal.
    x.evaluate("socket.send(JSON.stringify({move: 0}))")

    expect(x.locator("#game-status")).to_have_text("it is O's turn")
    expect(cell(x, 0)).to_have_text("")
