import pytest
from django.conf import settings
from pytest_django.asserts import assertContains, assertRedirects

from game.models import Game

pytestmark = pytest.mark.django_db


def test_index_has_the_room_chooser(client):
    response = client.get("/game/")

    assertContains(response, 'id="game-room-input"')
    assertContains(response, 'id="recent-games-empty"')


def test_index_goes_to_the_chosen_room(client):
    assertRedirects(client.get("/game/", {"room": " table-1 "}), "/game/table-1/")


def test_index_explains_a_bad_room_name(client):
    response = client.get("/game/", {"room": "no spaces"})

    assert response.status_code == 200
    assertContains(response, "Use letters, digits, _ . or -, up to 64 characters.")
    assertContains(response, 'value="no spaces"')


def test_index_lists_recent_games(client):
    Game.objects.create(room="finished", name_x="alice", name_o="bob", winner="O")

    response = client.get("/game/")

    assertContains(response, 'href="/game/finished/"')
    assertContains(response, "alice (X) v bob (O): O won")


def test_room_page_has_the_board_and_the_room_name(client):
    response = client.get("/game/table-1/")

    assert response.content.decode().count('class="cell"') == 9
    assertContains(response, 'id="game-turn"')
    assertContains(response, 'id="game-winner"')
    assertContains(response, 'id="game-join"')
    assertContains(response, '<script id="room-name" type="application/json">"table-1"</script>')


def test_room_page_starts_a_session_for_a_guest(client):
    response = client.get("/game/table-1/")

    assert settings.SESSION_COOKIE_NAME in response.cookies
    again = client.get("/game/table-1/")
    assert settings.SESSION_COOKIE_NAME not in again.cookies  # the same session, kept


def test_room_page_keeps_a_logged_in_users_session_as_it_is(alice_client):
    alice_client.get("/game/table-1/")

    assert "game_guest" not in alice_client.session


@pytest.mark.parametrize("room", ["x" * 65, "has%20space", "a+b"])
def test_room_page_follows_the_room_name_rule(client, room):
    assert client.get(f"/game/{room}/").status_code == 404


def test_every_page_links_to_the_game(client):
    assertContains(client.get("/chat/"), '<a href="/game/">Game</a>', html=True)
