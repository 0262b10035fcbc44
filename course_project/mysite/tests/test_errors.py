"""The DEBUG error page never shows a password inside a URL."""

import pytest
from channels.layers import channel_layers
from django.test import Client

from chat.models import Message
from mysite.errors import hide_url_passwords

pytestmark = pytest.mark.django_db

REDIS_URL = "redis://:s3cret-pass@127.0.0.1:1/0"  # nothing listens on port 1: Redis is "down"


def test_hide_url_passwords():
    assert hide_url_passwords(REDIS_URL, "***") == "redis://:***@127.0.0.1:1/0"
    assert hide_url_passwords({"hosts": [{"address": "rediss://u:p@h/0"}]}, "*") == {
        "hosts": [{"address": "rediss://u:*@h/0"}]
    }
    assert hide_url_passwords("https://example.com/a:b@c", "*") == "https://example.com/a:b@c"
    assert hide_url_passwords(42, "*") == 42


def test_the_debug_page_with_redis_down_shows_no_password(settings, alice):
    Message.objects.create(room="lobby", username="alice", text="hello")
    settings.DEBUG = True
    settings.REDIS_URL = REDIS_URL
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [{"address": REDIS_URL, "socket_timeout": 5}]},
        }
    }
    channel_layers.backends.clear()
    try:
        client = Client(raise_request_exception=False)
        client.force_login(alice)
        page = client.post("/chat/lobby/transcript/").content.decode()
    finally:
        channel_layers.backends.clear()

    assert "ConnectionError" in page or "Connection refused" in page  # the real error page
    assert "s3cret-pass" not in page
    assert "REDIS_URL" in page
