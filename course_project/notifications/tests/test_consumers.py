from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from notifications.models import Notification
from notifications.push import anotify

pytestmark = pytest.mark.django_db(transaction=True)

TIMEOUT = 10
PATH = "/ws/notifications/"


async def test_anonymous_socket_is_refused(websocket_connect):
    connected, _ = await websocket_connect(PATH)

    assert connected is False


async def test_foreign_origin_is_refused_even_when_logged_in(websocket_connect, alice):
    connected, _ = await websocket_connect(PATH, user=alice, origin=b"http://evil.example")

    assert connected is False


async def test_connect_sends_unread_notifications_oldest_first_then_the_count(
    websocket, alice, bob
):
    now = timezone.now()
    first = await Notification.objects.acreate(
        user=alice, message="first", link="/chat/lobby/", created=now - timedelta(minutes=2)
    )
    second = await Notification.objects.acreate(
        user=alice, message="second", created=now - timedelta(minutes=1)
    )
    await Notification.objects.acreate(user=alice, message="already read", read=True)
    await Notification.objects.acreate(user=bob, message="for bob")

    socket = await websocket(PATH, user=alice)

    received = [await socket.receive_json_from(timeout=TIMEOUT) for _ in range(3)]
    assert [(event["id"], event["message"], event["link"]) for event in received[:2]] == [
        (first.pk, "first", "/chat/lobby/"),
        (second.pk, "second", ""),
    ]
    assert datetime.fromisoformat(received[0]["created"]) == first.created
    assert received[2] == {"type": "unread", "unread": 2}
    assert await socket.receive_nothing()


async def test_connect_without_notifications_sends_a_zero_count(websocket, alice):
    socket = await websocket(PATH, user=alice)

    assert await socket.receive_json_from(timeout=TIMEOUT) == {"type": "unread", "unread": 0}


async def test_live_notification_reaches_all_of_the_users_sockets_and_nobody_else(
    websocket, alice, bob
):
    laptop = await websocket(PATH, user=alice)
    phone = await websocket(PATH, user=alice)
    other_user = await websocket(PATH, user=bob)
    for socket in (laptop, phone, other_user):
        await socket.receive_json_from(timeout=TIMEOUT)

    notification = await anotify(alice, "live one", "/notifications/")

    for socket in (laptop, phone):
        event = await socket.receive_json_from(timeout=TIMEOUT)
        assert event["type"] == "notification"
        assert event["id"] == notification.pk
        assert event["message"] == "live one"
        assert event["link"] == "/notifications/"
        assert event["unread"] == 1
    assert await other_user.receive_nothing()


async def test_frames_sent_to_the_feed_get_an_error_and_the_socket_stays_open(websocket, alice):
    socket = await websocket(PATH, user=alice)
    await socket.receive_json_from(timeout=TIMEOUT)

    await socket.send_json_to({"message": "hello?"})
    assert "error" in await socket.receive_json_from(timeout=TIMEOUT)
    await socket.send_to(text_data="not json")
    assert "error" in await socket.receive_json_from(timeout=TIMEOUT)

    await anotify(alice, "still here")
    assert (await socket.receive_json_from(timeout=TIMEOUT))["message"] == "still here"


async def test_reconnecting_after_an_id_sends_every_newer_notification_read_or_not(
    websocket, alice, bob
):
    seen = await Notification.objects.acreate(user=alice, message="seen before")
    await Notification.objects.acreate(user=bob, message="for bob")
    read_elsewhere = await Notification.objects.acreate(user=alice, message="read", read=True)
    missed = await Notification.objects.acreate(user=alice, message="missed")

    socket = await websocket(f"{PATH}?after={seen.pk}", user=alice)

    received = [await socket.receive_json_from(timeout=TIMEOUT) for _ in range(3)]
    assert [(event["id"], event["read"]) for event in received[:2]] == [
        (read_elsewhere.pk, True),
        (missed.pk, False),
    ]
    assert received[2] == {"type": "unread", "unread": 2}
    assert await socket.receive_nothing()


async def test_a_bad_resume_point_means_a_first_connect(websocket, alice):
    await Notification.objects.acreate(user=alice, message="unread one")

    socket = await websocket(f"{PATH}?after=yesterday", user=alice)

    assert (await socket.receive_json_from(timeout=TIMEOUT))["message"] == "unread one"
    assert await socket.receive_json_from(timeout=TIMEOUT) == {"type": "unread", "unread": 1}
