import re
from datetime import UTC, datetime

import pytest
from asgiref.sync import sync_to_async
from django.test import Client
from pytest_django.asserts import assertContains, assertNotContains, assertRedirects

from notifications.models import Notification

pytestmark = pytest.mark.django_db

TIMEOUT = 10
JSON = {"Accept": "application/json"}


@pytest.fixture
def alice_unread(alice):
    return [Notification.objects.create(user=alice, message=f"unread {n}") for n in (1, 2)]


@pytest.fixture
def bobs_notification(bob):
    return Notification.objects.create(user=bob, message="for bob only")


def unread_count(user):
    return Notification.objects.filter(user=user).unread().count()


def test_list_requires_login(client):
    response = client.get("/notifications/")

    assertRedirects(response, "/accounts/login/?next=/notifications/")


def test_list_shows_only_your_notifications(alice_client, alice_unread, bobs_notification):
    response = alice_client.get("/notifications/")

    assertContains(response, "unread 1")
    assertContains(response, "unread 2")
    assertNotContains(response, "for bob only")
    assertContains(response, 'id="send-test-notification"')
    assertContains(response, 'id="mark-all-read"')


def test_list_without_notifications_says_so(alice_client):
    assertContains(alice_client.get("/notifications/"), 'id="no-notifications"')


def test_list_writes_each_time_for_the_script_and_for_readers_without_one(alice_client, alice):
    created = datetime(2026, 12, 7, 4, 1, 51, tzinfo=UTC)
    Notification.objects.create(user=alice, message="hello", created=created)

    response = alice_client.get("/notifications/")

    # list.js rewrites the text in the reader's time zone from the datetime attribute.
    assertContains(
        response,
        '<time datetime="2026-12-07T04:01:51+00:00">7 Dec 2026, 04:01:51 UTC</time>',
        html=True,
    )


def test_list_gives_only_unread_notifications_a_mark_read_form(alice_client, alice):
    unread = Notification.objects.create(user=alice, message="new")
    read = Notification.objects.create(user=alice, message="seen", read=True)

    response = alice_client.get("/notifications/")

    assertContains(response, f'action="/notifications/{unread.pk}/read/"')
    assertNotContains(response, f'action="/notifications/{read.pk}/read/"')


def test_mark_read_marks_it_and_redirects_to_the_list(alice_client, alice, alice_unread):
    response = alice_client.post(f"/notifications/{alice_unread[0].pk}/read/")

    assertRedirects(response, "/notifications/")
    alice_unread[0].refresh_from_db()
    assert alice_unread[0].read is True
    assert unread_count(alice) == 1


def test_mark_read_answers_json_when_asked(alice_client, alice_unread):
    pk = alice_unread[0].pk

    response = alice_client.post(f"/notifications/{pk}/read/", headers=JSON)

    assert response.json() == {"id": pk}


def test_mark_read_of_someone_elses_notification_is_404(alice_client, bobs_notification):
    response = alice_client.post(f"/notifications/{bobs_notification.pk}/read/")

    assert response.status_code == 404
    bobs_notification.refresh_from_db()
    assert bobs_notification.read is False


def test_mark_all_read_marks_only_your_own(
    alice_client, alice, bob, alice_unread, bobs_notification
):
    response = alice_client.post("/notifications/read-all/", headers=JSON)

    assert response.json() == {"updated": 2}
    assert unread_count(alice) == 0
    assert unread_count(bob) == 1


def test_mark_all_read_redirects_to_the_list(alice_client, alice_unread):
    assertRedirects(alice_client.post("/notifications/read-all/"), "/notifications/")


def test_send_test_answers_json_when_asked(alice_client, alice):
    response = alice_client.post("/notifications/test/", headers=JSON)

    notification = Notification.objects.get(user=alice)
    assert response.json() == {"id": notification.pk, "pushed": True}
    assert notification.link == "/notifications/"


@pytest.mark.parametrize(
    "path", ["/notifications/1/read/", "/notifications/read-all/", "/notifications/test/"]
)
def test_post_only_views_refuse_get(alice_client, path):
    assert alice_client.get(path).status_code == 405


@pytest.mark.parametrize(
    "path", ["/notifications/1/read/", "/notifications/read-all/", "/notifications/test/"]
)
def test_post_only_views_require_login(client, path):
    response = client.post(path)

    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
    assert not Notification.objects.exists()


def test_send_test_refuses_a_post_without_csrf_token(alice):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(alice)

    assert browser.post("/notifications/test/").status_code == 403
    assert not Notification.objects.exists()


def test_page_shows_the_unread_count_in_the_badge(alice_client, alice_unread):
    response = alice_client.get("/chat/")

    assertContains(response, '<span id="notification-badge" class="badge">2</span>', html=True)


def test_badge_is_hidden_with_nothing_unread(alice_client):
    response = alice_client.get("/chat/")

    assertContains(
        response, '<span id="notification-badge" class="badge" hidden>0</span>', html=True
    )


def test_anonymous_pages_have_no_badge(client):
    assertNotContains(client.get("/chat/"), "notification-badge")


async def open_feed(websocket, user):
    """user's notification socket, past the unread count it gets on connect."""
    feed = await websocket("/ws/notifications/", user=user)
    while (await feed.receive_json_from(timeout=TIMEOUT)).get("type") != "unread":
        pass
    return feed


@pytest.mark.django_db(transaction=True)
async def test_mark_read_pushes_the_new_unread_count(websocket, alice, alice_client, alice_unread):
    feed = await open_feed(websocket, alice)

    await sync_to_async(alice_client.post)(f"/notifications/{alice_unread[0].pk}/read/")

    assert await feed.receive_json_from(timeout=TIMEOUT) == {"type": "unread", "unread": 1}


@pytest.mark.django_db(transaction=True)
async def test_mark_all_read_pushes_a_zero_count(websocket, alice, alice_client, alice_unread):
    feed = await open_feed(websocket, alice)

    await sync_to_async(alice_client.post)("/notifications/read-all/")

    assert await feed.receive_json_from(timeout=TIMEOUT) == {"type": "unread", "unread": 0}


def press_test_notification_button(browser):
    """What the notifications page does: load it, then post its form with the CSRF token."""
    page = browser.get("/notifications/")
    token = re.search(
        r'id="send-test-form".*?name="csrfmiddlewaretoken" value="([^"]+)"', page.text, re.S
    ).group(1)
    return browser.post("/notifications/test/", {"csrfmiddlewaretoken": token})


@pytest.mark.django_db(transaction=True)
async def test_test_notification_button_stores_and_pushes_a_notification(websocket, alice, bob):
    browser = Client(enforce_csrf_checks=True)
    await sync_to_async(browser.force_login)(alice)
    feed = await open_feed(websocket, alice)
    other_user = await open_feed(websocket, bob)

    response = await sync_to_async(press_test_notification_button)(browser)

    assertRedirects(response, "/notifications/", fetch_redirect_response=False)
    event = await feed.receive_json_from(timeout=TIMEOUT)
    notification = await Notification.objects.aget(user=alice)
    assert event["type"] == "notification"
    assert event["id"] == notification.pk
    assert event["message"] == notification.message
    assert event["unread"] == 1
    assert await other_user.receive_nothing()
