"""Limits per user and per client address: rate limits in the cache, and sockets per client."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator

from mysite.limits import RateLimit, limit_keys
from mysite.testing import login_cookie

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_rate_limit_counts_each_key_on_its_own():
    limit = RateLimit("test", 60, per_user=2, per_address=3)
    ada, bob = ["user:1", "address:10.0.0.1"], ["user:2", "address:10.0.0.1"]

    assert [limit.hit(ada) for _ in range(3)] == [True, True, False]  # ada's own limit
    assert limit.hit(bob) is False  # the address has had 3 already: bob is over it too
    assert limit.hit(["user:2"]) is True  # bob's own count is fine


def test_a_limit_of_none_is_off():
    limit = RateLimit("test-off", 60, per_user=None)

    assert all(limit.hit(["user:1"]) for _ in range(100))


def test_limit_keys():
    class Guest:
        is_authenticated = False

    assert limit_keys(Guest(), "10.0.0.1") == ["address:10.0.0.1"]
    assert limit_keys(None, "") == []


def handshake(path, client, user_cookie=None):
    from mysite.asgi import application

    headers = [(b"host", b"127.0.0.1"), (b"origin", b"http://127.0.0.1")]
    if user_cookie:
        headers.append((b"cookie", user_cookie))
    socket = WebsocketCommunicator(application, path, headers=headers)
    socket.scope["client"] = (client, 40000)
    return socket


async def open_many(count, client, user_cookie=None):
    sockets, accepted = [], 0
    for _ in range(count):
        socket = handshake("/ws/chat/limits/", client, user_cookie)
        connected, _ = await socket.connect(timeout=3)
        accepted += connected
        sockets.append(socket)
    return accepted, sockets


async def close(sockets):
    for socket in sockets:
        await socket.disconnect(timeout=3)


async def test_one_address_cannot_open_more_than_its_share(settings):
    # The attack: one client opened 1,000 sockets, each with its own rate limit.
    settings.WEBSOCKETS_PER_ADDRESS = 5

    accepted, sockets = await open_many(8, "203.0.113.7")
    others, more = await open_many(2, "203.0.113.8")

    assert (accepted, others) == (5, 2)
    await close(sockets[:1])  # one closes: its place is free again
    again, last = await open_many(1, "203.0.113.7")
    assert again == 1
    await close(sockets[1:] + more + last)


async def test_one_user_cannot_open_more_than_their_share(settings, alice, bob):
    settings.WEBSOCKETS_PER_USER = 3
    alices = (await sync_to_async(login_cookie)(alice)).encode()
    bobs = (await sync_to_async(login_cookie)(bob)).encode()

    accepted, sockets = await open_many(5, "198.51.100.1", alices)
    from_bob, more = await open_many(2, "198.51.100.1", bobs)

    assert (accepted, from_bob) == (3, 2)
    await close(sockets + more)


async def test_the_defaults_let_a_class_of_40_behind_one_router_open_five_sockets_each(
    django_user_model,
):
    users = [
        await django_user_model.objects.acreate(username=f"student{number}") for number in range(40)
    ]
    opened, everyone = 0, []
    for user in users:
        cookie = (await sync_to_async(login_cookie)(user)).encode()
        accepted, sockets = await open_many(5, "192.0.2.1", cookie)
        opened += accepted
        everyone += sockets

    assert opened == 200
    await close(everyone)
