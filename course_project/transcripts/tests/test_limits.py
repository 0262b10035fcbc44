"""Transcript exports: a few an hour per user, and more per address, for a class."""

import pytest
from django.test import Client

from chat.models import Message

pytestmark = pytest.mark.django_db

JSON = {"Accept": "application/json"}


def export(client, address="192.0.2.20"):
    return client.post("/chat/lobby/transcript/", headers=JSON, REMOTE_ADDR=address)


def test_a_user_asking_150_times_gets_a_few_exports(settings, shared_layer, alice_client):
    # The attack: 150 requests in 2.4 s made 151 full copies of the room.
    Message.objects.create(room="lobby", username="alice", text="hello")

    answers = [export(alice_client) for _ in range(150)]

    allowed = settings.TRANSCRIPT_EXPORTS_PER_HOUR
    assert [answer.status_code for answer in answers] == [202] * allowed + [429] * (150 - allowed)
    assert shared_layer.send.await_count == allowed
    assert "try again in" in answers[-1].json()["error"]
    assert int(answers[-1]["Retry-After"]) > 0


def test_classmates_behind_the_same_router_still_get_theirs(
    settings, shared_layer, alice_client, bob
):
    Message.objects.create(room="lobby", username="alice", text="hello")
    for _ in range(settings.TRANSCRIPT_EXPORTS_PER_HOUR + 5):
        export(alice_client)
    bobs = Client()
    bobs.force_login(bob)

    assert export(bobs).status_code == 202
