from io import StringIO

import pytest
from django.core.management import call_command
from django.http import HttpRequest
from pytest_django.asserts import assertContains, assertRedirects

from accounts.management.commands.create_demo_users import DEMO_PASSWORD, DEMO_USERNAMES

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-long-and-unusual-passphrase"


def logged_in_user_id(client):
    return client.session.get("_auth_user_id")


def can_log_in(client, username, password):
    # django-axes counts logins per address, so authenticate() needs a request to look at.
    return client.login(request=HttpRequest(), username=username, password=password)


def test_create_demo_users_creates_alice_bob_and_carol_who_can_log_in(client):
    call_command("create_demo_users", stdout=StringIO())

    assert DEMO_USERNAMES == ["alice", "bob", "carol"]
    for username in DEMO_USERNAMES:
        assert can_log_in(client, username, DEMO_PASSWORD)


def test_create_demo_users_twice_resets_them(client, django_user_model):
    call_command("create_demo_users", stdout=StringIO())
    out = StringIO()

    call_command("create_demo_users", stdout=out)

    assert django_user_model.objects.count() == 3
    assert "reset alice" in out.getvalue()
    assert can_log_in(client, "bob", DEMO_PASSWORD)


def test_signup_page_has_the_form(client):
    response = client.get("/accounts/signup/")

    assertContains(response, 'name="username"')
    assertContains(response, 'id="signup-submit"')


def test_signup_creates_the_user_and_logs_them_in(client, django_user_model):
    response = client.post(
        "/accounts/signup/",
        {"username": "dora", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
    )

    assertRedirects(response, "/chat/")
    user = django_user_model.objects.get(username="dora")
    assert logged_in_user_id(client) == str(user.pk)
    assertContains(client.get("/chat/"), 'id="notification-badge"')


def test_signup_with_mismatched_passwords_creates_nobody(client, django_user_model):
    response = client.post(
        "/accounts/signup/",
        {"username": "dora", "password1": NEW_PASSWORD, "password2": "something-else-entirely"},
    )

    assert response.status_code == 200
    assert not django_user_model.objects.filter(username="dora").exists()


def test_login_page_has_the_form(client):
    response = client.get("/accounts/login/")

    assertContains(response, 'name="username"')
    assertContains(response, 'name="password"')
    assertContains(response, 'id="login-submit"')


@pytest.fixture
def dora(django_user_model):
    return django_user_model.objects.create_user(username="dora", password=NEW_PASSWORD)


def test_login_logs_in_and_redirects_to_the_chat(client, dora):
    response = client.post("/accounts/login/", {"username": "dora", "password": NEW_PASSWORD})

    assertRedirects(response, "/chat/")
    assert logged_in_user_id(client) == str(dora.pk)


def test_login_honours_next(client, dora):
    response = client.post(
        "/accounts/login/",
        {"username": "dora", "password": NEW_PASSWORD, "next": "/notifications/"},
    )

    assertRedirects(response, "/notifications/")


def test_login_with_a_wrong_password_fails(client, dora):
    response = client.post("/accounts/login/", {"username": "dora", "password": "wrong"})

    assert response.status_code == 200
    assert logged_in_user_id(client) is None


def test_logout_is_post_only(alice_client, alice):
    assert alice_client.get("/accounts/logout/").status_code == 405
    assert logged_in_user_id(alice_client) == str(alice.pk)


def test_logout_logs_out_and_redirects_to_the_chat(alice_client):
    response = alice_client.post("/accounts/logout/")

    assertRedirects(response, "/chat/")
    assert logged_in_user_id(alice_client) is None
