"""Bearer tokens for scripts: the token view, the signer and TokenAuthMiddleware."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.core import signing

from accounts.middleware import TokenAuthMiddleware
from accounts.tokens import make_token, user_for_token

HOST = b"127.0.0.1"
ORIGIN = b"http://127.0.0.1"
TIMEOUT = 3


async def open_notifications(token):
    from mysite.asgi import application

    headers = [(b"host", HOST), (b"origin", ORIGIN), (b"authorization", f"Bearer {token}".encode())]
    communicator = WebsocketCommunicator(application, "/ws/notifications/", headers=headers)
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    return connected, communicator


@pytest.mark.django_db
def test_token_view_gives_a_token_for_the_logged_in_user(alice_client, alice):
    response = alice_client.post("/accounts/token/")

    assert response.status_code == 200
    assert user_for_token(response.json()["token"]) == alice


@pytest.mark.django_db
def test_token_view_needs_login_and_post(client, alice_client):
    assert client.post("/accounts/token/").status_code == 302
    assert alice_client.get("/accounts/token/").status_code == 405


@pytest.mark.django_db
def test_forged_expired_or_inactive_tokens_name_nobody(alice):
    token = make_token(alice)
    assert user_for_token(token + "x") is None
    assert user_for_token(token, max_age=-1) is None
    alice.is_active = False
    alice.save()
    assert user_for_token(token) is None
    assert user_for_token(signing.dumps({"user": alice.pk}, salt="other")) is None


@pytest.mark.django_db(transaction=True)
async def test_valid_token_opens_a_private_socket_without_a_cookie(alice):
    token = await sync_to_async(make_token)(alice)
    connected, communicator = await open_notifications(token)
    try:
        assert connected
        assert await communicator.receive_json_from(timeout=TIMEOUT) == {
            "type": "unread",
            "unread": 0,
        }
    finally:
        await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_bad_token_is_treated_as_anonymous_and_refused(alice):
    connected, communicator = await open_notifications("not-a-token")
    assert not connected
    await communicator.disconnect()


@pytest.mark.django_db(transaction=True)
async def test_middleware_gives_the_inner_app_a_new_scope_and_leaves_the_callers_alone():
    seen = {}

    async def inner(scope, receive, send):
        seen.update(scope)

    scope = {"type": "websocket", "headers": [], "user": "session user"}
    await TokenAuthMiddleware(inner)(scope, None, None)
    assert seen["user"] == "session user"  # no header: the session's user stands

    scope["headers"] = [(b"authorization", b"Bearer junk")]
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("accounts.middleware.user_for_token", lambda token: None)
        await TokenAuthMiddleware(inner)(scope, None, None)
    assert seen["user"].is_anonymous
    assert scope["user"] == "session user"
