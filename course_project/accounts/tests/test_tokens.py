"""Bearer tokens for scripts: the token view, the signer and TokenAuthMiddleware."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.core import signing
from django.test import Client

from accounts.middleware import TokenAuthMiddleware
from accounts.tokens import make_token, user_for_token
from mysite.testing import HOST, ORIGIN, PASSWORD

NEW = "a-different-long-passphrase"

TIMEOUT = 10


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


# A token is worth no more than the login it came from.

PUBLISHED_KEY = "django-insecure-course-project-development-key-do-not-deploy"


@pytest.mark.django_db(transaction=True)
async def test_a_token_signed_with_the_once_published_key_is_refused(alice):
    # The attack: with the key from the repository, anyone could mint a token for any user id.
    forged = signing.dumps({"user": alice.pk}, salt="accounts.websocket-token", key=PUBLISHED_KEY)

    connected, communicator = await open_notifications(forged)

    assert not connected
    await communicator.disconnect()


def token_from_the_view(client):
    return client.post("/accounts/token/").json()["token"]


@pytest.mark.django_db
def test_logging_out_ends_the_tokens_made_in_that_session_only(alice):
    phone, laptop = Client(), Client()
    phone.force_login(alice)
    laptop.force_login(alice)
    from_phone, from_laptop = token_from_the_view(phone), token_from_the_view(laptop)

    phone.post("/accounts/logout/")

    assert user_for_token(from_phone) is None
    assert user_for_token(from_laptop) == alice


@pytest.mark.django_db
def test_changing_the_password_ends_every_token(alice, alice_client):
    token = token_from_the_view(alice_client)
    other_session = make_token(alice, "another-session-key")

    response = alice_client.post(
        "/accounts/password_change/",
        {"old_password": PASSWORD, "new_password1": NEW, "new_password2": NEW},
    )

    assert response.status_code == 302
    assert user_for_token(token) is None
    assert user_for_token(other_session) is None
    alice.refresh_from_db()
    assert user_for_token(make_token(alice)) == alice  # a new one works


@pytest.mark.django_db(transaction=True)
async def test_a_token_from_a_logged_out_session_no_longer_opens_a_socket(alice):
    client = Client()
    await sync_to_async(client.force_login)(alice)
    token = await sync_to_async(token_from_the_view)(client)
    await sync_to_async(client.post)("/accounts/logout/")

    connected, communicator = await open_notifications(token)

    assert not connected
    await communicator.disconnect()


@pytest.mark.django_db
def test_a_token_holds_no_session_key_or_password_hash(alice_client):
    token = token_from_the_view(alice_client)
    data = signing.loads(token, salt="accounts.websocket-token")
    session_key = alice_client.session.session_key

    assert session_key not in token
    assert session_key not in str(data)
    assert set(data) == {"user", "password", "session"}
