"""Storing a notification and pushing it to every socket its user has open.

Storing comes first, so a user who is offline, or whose socket misses the push, gets it when
their page next connects. The push goes through the channel layer to the user's own group,
which each of their sockets joined. If the layer cannot be reached (Redis is down), the push is
skipped and the caller is told: the notification is stored, and that is what counts.
"""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from mysite.layers import LAYER_ERRORS
from mysite.websocket import encode

from .models import Notification


def user_group_name(user_id):
    # Built from the numeric id only: never put user-supplied text in a group name.
    return f"notifications_{user_id}"


async def send_to_user(user_id, payload):
    """Push `payload` to the user's sockets; False if the channel layer cannot be reached."""
    try:
        await get_channel_layer().group_send(
            user_group_name(user_id), {"type": "notification.push", "text": encode(payload)}
        )
    except LAYER_ERRORS:
        return False
    return True


async def anotify(user, message, link=""):
    """Store a notification for `user` and push it live. For async code (consumers).

    Returns the Notification; its `pushed` attribute says whether the push reached the channel
    layer (if not, the user gets it on their next connect).
    """
    notification = await Notification.objects.acreate(user=user, message=message, link=link)
    unread = await Notification.objects.filter(user=user).unread().acount()
    notification.pushed = await send_to_user(user.pk, notification.payload(unread=unread))
    return notification


def notify(user, message, link=""):
    """The same for sync code: views, signals, management commands."""
    return async_to_sync(anotify)(user, message, link)


def push_unread_count(user):
    """Tell the user's sockets their new unread count (after marking some read)."""
    unread = Notification.objects.filter(user=user).unread().count()
    async_to_sync(send_to_user)(user.pk, {"type": "unread", "unread": unread})
