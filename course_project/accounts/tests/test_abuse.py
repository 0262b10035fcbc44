"""Sign-up names that cannot pass for someone else, and logins that cannot be guessed fast."""

import pytest
from django.contrib.auth import get_user_model

from mysite.testing import PASSWORD

pytestmark = pytest.mark.django_db

GOOD = "a-long-and-unusual-passphrase"


def sign_up(client, username):
    return client.post(
        "/accounts/signup/", {"username": username, "password1": GOOD, "password2": GOOD}
    )


@pytest.mark.parametrize(
    "username",
    [
        pytest.param("anonymous", id="the-guests-name"),
        pytest.param("Anonymous", id="the-guests-name-capitalized"),
        pytest.param("admin", id="reserved"),
        pytest.param("\u0430lice", id="cyrillic-a-in-alice"),
        pytest.param("ALICE", id="alice-in-capitals"),
    ],
)
def test_names_that_pass_for_someone_else_are_refused(client, alice, username):
    response = sign_up(client, username)

    assert response.status_code == 200  # the form again, with the error
    assert not get_user_model().objects.filter(username=username).exists()


@pytest.mark.parametrize("username", ["zoë", "алиса", "li.wei"])
def test_names_in_one_script_are_welcome(client, username):
    assert sign_up(client, username).status_code == 302


def log_in(client, username, password, address="192.0.2.10"):
    return client.post(
        "/accounts/login/", {"username": username, "password": password}, REMOTE_ADDR=address
    )


def test_many_wrong_passwords_lock_that_name_out_from_that_address(client, alice, settings):
    # The attack: 60 wrong passwords, then the right one, and in.
    answers = [log_in(client, "alice", "wrong").status_code for _ in range(60)]
    limit = settings.AXES_FAILURE_LIMIT

    assert answers == [200] * (limit - 1) + [429] * (60 - limit + 1)
    assert log_in(client, "alice", PASSWORD).status_code == 429
    assert "_auth_user_id" not in client.session


def test_one_students_typos_lock_out_nobody_else_behind_the_same_router(client, alice, bob):
    for _ in range(30):
        log_in(client, "alice", "wrong")

    assert log_in(client, "bob", PASSWORD).status_code == 302  # same address, another name
    assert log_in(client, "alice", PASSWORD, address="198.51.100.3").status_code == 302
