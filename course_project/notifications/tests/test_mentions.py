import pytest

from notifications.mentions import find_mentions
from notifications.models import Notification

TIMEOUT = 10


@pytest.mark.parametrize(
    ("text", "names"),
    [
        pytest.param("hi @bob", ["bob"], id="one"),
        pytest.param("@bob and @carol", ["bob", "carol"], id="two-in-order"),
        pytest.param("@bob @carol @bob", ["bob", "carol"], id="duplicates-once"),
        pytest.param("thanks @bob.", ["bob"], id="trailing-period"),
        pytest.param("@bob, @carol: look", ["bob", "carol"], id="punctuation"),
        pytest.param("@first.last is here", ["first.last"], id="dot-inside-name"),
        pytest.param("mail bob@example.com", [], id="email-address"),
        pytest.param("no mentions here", [], id="none"),
        pytest.param("just an @ sign", [], id="bare-at"),
        pytest.param("@@bob", [], id="double-at"),
    ],
)
def test_find_mentions(text, names):
    assert find_mentions(text) == names


async def join(websocket, alice, bob, carol, room_name):
    """alice in the room; alice, bob and carol each watching their notifications."""
    chat = await websocket(f"/ws/chat/{room_name}/", user=alice)
    feeds = {}
    for user in (alice, bob, carol):
        feeds[user.username] = await websocket("/ws/notifications/", user=user)
        assert (await feeds[user.username].receive_json_from(timeout=TIMEOUT))["unread"] == 0
    return chat, feeds


@pytest.mark.django_db(transaction=True)
async def test_mention_notifies_the_mentioned_user_only(
    websocket, wait_until_processed, alice, bob, carol, room_name
):
    chat, feeds = await join(websocket, alice, bob, carol, room_name)

    await chat.send_json_to({"message": "@bob have a look"})

    event = await feeds["bob"].receive_json_from(timeout=TIMEOUT)
    assert event["type"] == "notification"
    assert event["message"] == f"alice mentioned you in #{room_name}: @bob have a look"
    assert event["link"] == f"/chat/{room_name}/"
    await wait_until_processed(chat)
    assert await feeds["alice"].receive_nothing()
    assert await feeds["carol"].receive_nothing()
    stored = [n async for n in Notification.objects.values_list("user__username", "message")]
    assert stored == [("bob", event["message"])]


@pytest.mark.django_db(transaction=True)
async def test_unknown_names_and_the_senders_own_name_are_ignored(
    websocket, wait_until_processed, alice, bob, carol, room_name
):
    chat, feeds = await join(websocket, alice, bob, carol, room_name)

    await chat.send_json_to({"message": "@alice @nobody talking to myself"})
    await wait_until_processed(chat)

    for feed in feeds.values():
        assert await feed.receive_nothing()
    assert not await Notification.objects.aexists()
