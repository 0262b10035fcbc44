import re
from datetime import timedelta

import pytest
from django.contrib.staticfiles import finders
from django.utils import timezone
from pytest_django.asserts import assertContains, assertNotContains

from chat.models import Message

pytestmark = pytest.mark.django_db


def test_index_has_the_room_chooser(client):
    response = client.get("/chat/")

    assertContains(response, 'id="room-name-input"')
    assertContains(response, 'id="room-name-submit"')


def test_index_lists_recent_rooms_from_stored_messages(client):
    Message.objects.create(room="lobby", username="alice", text="hi")
    Message.objects.create(room="lobby", username="bob", text="hello")
    Message.objects.create(
        room="quiet", username="carol", text="old", created=timezone.now() - timedelta(days=1)
    )

    response = client.get("/chat/")

    assertContains(response, 'href="/chat/lobby/"')
    assertContains(response, "2 messages")
    assertContains(response, 'href="/chat/quiet/"')
    rooms = [room["room"] for room in response.context["recent_rooms"]]
    assert rooms == ["lobby", "quiet"]


def test_index_without_messages_says_so(client):
    response = client.get("/chat/")

    assertContains(response, 'id="recent-rooms-empty"')


def test_home_redirects_to_the_room_chooser(client):
    assert client.get("/").url == "/chat/"


def test_room_page_has_the_chat_elements(client):
    response = client.get("/chat/lobby.2_x-y/")

    assertContains(response, 'id="chat-log"')
    assertContains(response, 'id="chat-message-input"')
    assertContains(response, 'id="chat-message-submit"')


def test_the_message_box_refuses_what_the_server_would(client, settings):
    settings.CHAT_MAX_MESSAGE_LENGTH = 123

    response = client.get("/chat/lobby/")

    assertContains(response, 'maxlength="123"')


def test_room_page_passes_the_room_name_in_json_script(client):
    response = client.get("/chat/lobby.2_x-y/")

    assertContains(
        response, '<script id="room-name" type="application/json">"lobby.2_x-y"</script>'
    )


@pytest.mark.parametrize(
    "path",
    [
        pytest.param("/chat/a%20b/", id="space"),
        pytest.param(f"/chat/{'x' * 65}/", id="65-characters"),
        pytest.param("/chat/a$b/", id="dollar-sign"),
        pytest.param("/chat/%3Cscript%3E/", id="html"),
    ],
)
def test_room_page_for_an_invalid_name_is_404(client, path):
    assert client.get(path).status_code == 404


def test_room_name_of_64_characters_is_valid(client):
    assert client.get(f"/chat/{'x' * 64}/").status_code == 200


def test_room_page_does_not_render_stored_messages(client):
    Message.objects.create(room="lobby", username="mallory", text="<b id='injected'>hi</b>")

    response = client.get("/chat/lobby/")

    assertNotContains(response, "injected")


# Assigning or inserting HTML strings; the script's comment may say "never innerHTML".
HTML_SINK = re.compile(r"\.(inner|outer)HTML\b|insertAdjacentHTML|document\.write")


def test_room_page_and_script_render_messages_as_text(client):
    response = client.get("/chat/lobby/")
    with open(finders.find("chat/room.js"), encoding="utf-8") as source:
        script = source.read()

    assertContains(response, "chat/room.js")
    assert not HTML_SINK.search(response.content.decode())
    assert not HTML_SINK.search(script)
    assert "text.textContent = data.message" in script
