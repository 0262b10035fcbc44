import re

import pytest
from channels.exceptions import ChannelFull
from django.test import Client
from pytest_django.asserts import assertContains, assertNotContains

from chat.models import Message
from transcripts.models import Transcript
from transcripts.views import NO_WORKER

pytestmark = pytest.mark.django_db

JSON = {"Accept": "application/json"}


@pytest.fixture(autouse=True)
def in_memory_layer(settings):
    """What the tests run with unless REDIS_URL is set: the layer no worker process can reach."""
    settings.CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}


@pytest.fixture
def lobby():
    Message.objects.create(room="lobby", username="alice", text="hello")
    return "lobby"


def export_url(room):
    return f"/chat/{room}/transcript/"


def test_export_with_the_in_memory_layer_refuses_and_says_what_to_run(alice_client, lobby):
    response = alice_client.post(export_url(lobby), headers=JSON)

    assert response.status_code == 503
    assert response.json() == {"error": NO_WORKER}
    assert "in-memory channel layer" in NO_WORKER
    assert "REDIS_URL=redis://127.0.0.1:6379/0 python manage.py runworker chat-transcripts" in (
        NO_WORKER
    )


def test_export_refusal_is_plain_text_for_a_form_posted_without_javascript(alice_client, lobby):
    response = alice_client.post(export_url(lobby))

    assert response.status_code == 503
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response.content.decode() == NO_WORKER


def test_export_sends_the_request_to_the_worker_channel(alice_client, alice, lobby, shared_layer):
    response = alice_client.post(export_url(lobby), headers=JSON)

    assert response.status_code == 202
    assert response.json()["status"] == "queued"
    assert response.json()["message"].startswith("Queued:")
    shared_layer.send.assert_awaited_once_with(
        "chat-transcripts", {"type": "transcript.export", "room": "lobby", "user_id": alice.pk}
    )


def test_export_of_a_room_without_messages_sends_nothing(alice_client, shared_layer):
    response = alice_client.post(export_url("empty"), headers=JSON)

    assert response.status_code == 404
    assert response.json() == {"error": "#empty has no messages to export yet."}
    shared_layer.send.assert_not_awaited()


def test_export_when_the_worker_channel_is_full_says_so(alice_client, lobby, shared_layer):
    shared_layer.send.side_effect = ChannelFull()

    response = alice_client.post(export_url(lobby), headers=JSON)

    assert response.status_code == 503
    assert "try again" in response.json()["error"]


def test_export_needs_a_logged_in_user(client, lobby, shared_layer):
    response = client.post(export_url(lobby))

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
    shared_layer.send.assert_not_awaited()


def test_export_is_post_only(alice_client, lobby):
    assert alice_client.get(export_url(lobby)).status_code == 405


def test_export_needs_the_csrf_token_the_room_page_carries(alice, lobby, shared_layer):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)

    assert browser.post(export_url(lobby), headers=JSON).status_code == 403

    page = browser.get(f"/chat/{lobby}/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    response = browser.post(export_url(lobby), {"csrfmiddlewaretoken": token}, headers=JSON)
    assert response.status_code == 202


def test_export_url_follows_the_room_name_rule(alice_client):
    assert alice_client.post(export_url("bad%20name"), headers=JSON).status_code == 404


def test_room_page_has_the_export_button_for_logged_in_users(alice_client, client):
    response = alice_client.get("/chat/lobby/")

    assertContains(response, 'id="transcript-export"')
    assertContains(response, 'action="/chat/lobby/transcript/"')
    assertContains(response, "transcripts/export.js")
    assertNotContains(client.get("/chat/lobby/"), 'id="transcript-export"')


@pytest.fixture
def transcript(alice):
    return Transcript.objects.create(
        room="lobby", user=alice, text="Transcript of #lobby\n", message_count=0
    )


def test_download_gives_the_owner_a_text_attachment(alice_client, transcript):
    response = alice_client.get(transcript.get_absolute_url())

    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"
    assert response["Content-Disposition"] == f'attachment; filename="{transcript.filename}"'
    assert transcript.filename.startswith("transcript-lobby-")
    assert response.content.decode() == "Transcript of #lobby\n"


def test_download_of_someone_elses_transcript_is_not_found(bob, transcript):
    other = Client()
    other.force_login(bob)

    assert other.get(transcript.get_absolute_url()).status_code == 404


def test_download_needs_a_logged_in_user(client, transcript):
    response = client.get(transcript.get_absolute_url())

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
