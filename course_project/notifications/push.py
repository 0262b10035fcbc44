"""Storing a notification and pushing it to every socket its user has open.

Storing comes first, so a user who is offline gets it when they next connect. The push goes
through the channel layer to the user's own group, which each of their sockets joined.
"""

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer

from mysite.websocket import encode

from .models import Notification


def user_group_name(user_id):
    # Built from the numeric id only: never put user-supplied text in a group name.
    return f"notifications_{user_id}"


async def send_to_user(user_id, payload):
    await get_channel_layer().group_send(
        user_group_name(user_id), {"type": "notification.push", "text": encode(payload)}
    )


async def anotify(user, message, link=""):
    """Store a notification for `user` and push it live. For async code (consumers)."""
    notification = await Notification.objects.acreate(user=user, message=message, link=link)
    unread = await Notification.objects.filter(user=user).unread().acount()
    await send_to_user(user.pk, notification.payload(unread=unread))
    return notification


def notify(user, message, link=""):
    """The same for sync code: views, signals, management commands."""
    return async_to_sync(anotify)(user, message, link)


def push_unread_count(user):
    """Tell the user's sockets their new unread count (after marking some read)."""
    unread = Notification.objects.filter(user=user).unread().count()
    async_to_sync(send_to_user)(user.pk, {"type": "unread", "unread": unread})
