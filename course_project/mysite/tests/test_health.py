"""GET /healthz answers 200 while the database and the channel layer work, 503 when one fails."""

import asyncio

import pytest
from django.db import OperationalError

from mysite import health

pytestmark = pytest.mark.django_db

HEALTHY = {"status": "ok", "checks": {"database": "ok", "channel_layer": "ok"}}


async def test_a_healthy_server_answers_200_ok(async_client):
    response = await async_client.get("/healthz")

    assert response.status_code == 200
    assert response.json() == HEALTHY


async def test_the_answer_is_never_cached(async_client):
    response = await async_client.get("/healthz")

    assert "no-store" in response["Cache-Control"]


async def test_head_is_answered_too(async_client):
    response = await async_client.head("/healthz")

    assert response.status_code == 200


async def test_only_get_and_head_are_allowed(async_client):
    response = await async_client.post("/healthz")

    assert response.status_code == 405


async def test_a_database_that_fails_gives_503(async_client, monkeypatch):
    def broken():
        raise OperationalError("unable to open database file")

    monkeypatch.setattr(health, "_query_database", broken)

    response = await async_client.get("/healthz")

    assert response.status_code == 503
    assert response.json() == {
        "status": "failing",
        "checks": {"database": "failing", "channel_layer": "ok"},
    }


async def test_an_unreachable_redis_gives_503(async_client, settings):
    # Nothing listens on port 1: the Redis layer cannot connect. Channels drops its cached
    # layers when CHANNEL_LAYERS changes, so the view gets this one.
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": ["redis://127.0.0.1:1/0"]},
        }
    }

    response = await async_client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["checks"] == {"database": "ok", "channel_layer": "failing"}


async def test_a_check_that_hangs_fails_after_the_timeout(async_client, monkeypatch):
    async def hangs():
        await asyncio.Event().wait()

    monkeypatch.setattr(health, "TIMEOUT", 0.05)
    monkeypatch.setitem(health.CHECKS, "channel_layer", hangs)

    response = await async_client.get("/healthz")

    assert response.status_code == 503
    assert response.json()["checks"]["channel_layer"] == "failing"


async def test_the_failure_details_go_to_the_log_not_the_response(
    async_client, monkeypatch, caplog
):
    def broken():
        raise OperationalError("secret detail: /srv/chat/data/db.sqlite3")

    monkeypatch.setattr(health, "_query_database", broken)

    response = await async_client.get("/healthz")

    assert "secret detail" not in response.content.decode()
    assert "secret detail" in caplog.text
