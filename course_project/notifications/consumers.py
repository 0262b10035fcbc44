from urllib.parse import parse_qs

from mysite.websocket import SafeJsonWebsocketConsumer

from .models import Notification
from .push import user_group_name

# Notifications replayed on connect; older ones stay on the /notifications/ page.
BACKLOG = 100


def resume_point(scope):
    """The id in `?after=ID` (the newest notification the page has), or None without one."""
    values = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("after")
    if not values or not values[0].isdigit() or len(values[0]) > 18:
        return None
    return int(values[0])


class NotificationConsumer(SafeJsonWebsocketConsumer):
    """A logged-in user's feed: what the page has not seen yet on connect, then each new one live.

    A page connecting for the first time gets the unread notifications; a page reconnecting
    with `?after=ID` gets every notification newer than the one it has, read or not (marked
    read in another tab, say), so its list misses nothing. Then the unread count, for the badge.
    """

    async def connect(self):
        """Called when a client asks to open the socket."""
        user = self.scope["user"]
        if not user.is_authenticated:
            await self.close()  # before accept(): refused with HTTP 403; notifications are private
            return
        self.group_name = user_group_name(user.pk)
        # Join first, then read: a notification stored and pushed meanwhile arrives at least once
        # (the page drops a second copy by its id).
        await self.join_group(self.group_name)
        await self.accept()
        mine = Notification.objects.filter(user=user)
        after = resume_point(self.scope)
        missed = mine.unread() if after is None else mine.filter(pk__gt=after)
        backlog = [notification async for notification in missed.order_by("-id")[:BACKLOG]]
        count = await mine.unread().acount()
        for notification in reversed(backlog):
            await self.send_json(notification.payload(unread=count))
        await self.send_json({"type": "unread", "unread": count})

    async def notification_push(self, event):
        """Called for each event sent to this user's group (see push.py)."""
        await self.send(text_data=event["text"])
