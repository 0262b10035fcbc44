from mysite.websocket import SafeJsonWebsocketConsumer

from .models import Notification
from .push import user_group_name

# Unread notifications replayed on connect; older ones stay on the /notifications/ page.
BACKLOG = 100


class NotificationConsumer(SafeJsonWebsocketConsumer):
    """A logged-in user's feed: unread notifications on connect, then each new one live."""

    async def connect(self):
        """Called when a client asks to open the socket."""
        user = self.scope["user"]
        if not user.is_authenticated:
            await self.close()  # before accept(): refused with HTTP 403; notifications are private
            return
        self.group_name = user_group_name(user.pk)
        await self.join_group(self.group_name)
        await self.accept()
        unread = Notification.objects.filter(user=user).unread().order_by("-created", "-id")
        backlog = [notification async for notification in unread[:BACKLOG]]
        count = await unread.acount()
        for notification in reversed(backlog):
            await self.send_json(notification.payload(unread=count))
        await self.send_json({"type": "unread", "unread": count})

    async def notification_push(self, event):
        """Called for each event sent to this user's group (see push.py)."""
        await self.send(text_data=event["text"])
