from django.conf import settings
from django.db import models
from django.db.models import Count, Max
from django.utils import timezone

ANONYMOUS = "anonymous"


class MessageQuerySet(models.QuerySet):
    def in_room(self, room_name):
        return self.filter(room=room_name)

    def recent_rooms(self, limit=20):
        """Rooms with their last activity and message count, busiest-lately first."""
        return (
            self.values("room")
            .annotate(last_message=Max("created"), message_count=Count("id"))
            .order_by("-last_message")[:limit]
        )


class Message(models.Model):
    room = models.CharField(max_length=64)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="chat_messages",
    )
    # The name shown when the message was sent ("anonymous" for guests); kept if the user goes.
    username = models.CharField(max_length=150)
    text = models.TextField()
    created = models.DateTimeField(default=timezone.now)

    objects = MessageQuerySet.as_manager()

    class Meta:
        ordering = ["created", "id"]
        indexes = [models.Index(fields=["room", "-created"], name="chat_room_recent")]

    def __str__(self):
        return f"#{self.room} {self.username}: {self.text[:40]}"

    def payload(self, history=False):
        """What every socket in the room receives for this message."""
        data = {"message": self.text, "user": self.username, "timestamp": self.created.isoformat()}
        if history:
            data["history"] = True
        return data
