from django.conf import settings
from django.db import models, transaction
from django.db.models import Count, Max
from django.utils import timezone

ANONYMOUS = "anonymous"


class MessageQuerySet(models.QuerySet):
    def in_room(self, room_name):
        """The room's messages, in the order they were stored."""
        return self.filter(room=room_name).order_by("seq")

    def after(self, seq):
        """Messages stored after the one numbered `seq` (in_room() first: numbers are per room)."""
        return self.filter(seq__gt=seq)

    def head(self, room_name):
        """The number of the room's newest message; 0 for a room without messages."""
        return self.filter(room=room_name).aggregate(head=Max("seq"))["head"] or 0

    def bulk_create(self, objs, *args, **kwargs):
        """Django's bulk_create(), numbering the messages that have no `seq` yet, in list order.

        In one transaction, which SQLite begins IMMEDIATE here (settings.py): no other writer
        can take the same numbers between reading a room's newest one and inserting these.
        """
        objs = list(objs)
        with transaction.atomic(using=self.db, savepoint=False):
            heads = {}
            for message in objs:
                if message.seq is None:
                    if message.room not in heads:
                        heads[message.room] = self.head(message.room)
                    heads[message.room] += 1
                    message.seq = heads[message.room]
            return super().bulk_create(objs, *args, **kwargs)

    def recent_rooms(self, limit=20):
        """Rooms with their last activity and message count, busiest-lately first."""
        return (
            self.values("room")
            .annotate(last_message=Max("created"), message_count=Count("id"))
            .order_by("-last_message")[:limit]
        )


class Message(models.Model):
    room = models.CharField(max_length=64)
    # The message's place in its room: 1, 2, 3... with no holes, given when it is stored. Every
    # socket receives it, so a client can tell what it missed ("I have 41 and 43: where is 42?")
    # and ask for everything after the last one it has (see consumers.py).
    seq = models.PositiveBigIntegerField()
    # The id the sender's page gave the message, so that sending it again (after a reconnect,
    # not knowing whether the first try arrived) stores it once. None for clients that send
    # without one: NULL rather than "", as Django advises for a unique field that may be empty,
    # because the unique constraint below lets any number of NULLs through.
    client_id = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
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
        constraints = [
            # Also the index behind every history query: a room's messages by number.
            models.UniqueConstraint(fields=["room", "seq"], name="chat_room_seq"),
            models.UniqueConstraint(fields=["room", "client_id"], name="chat_room_client_id"),
        ]

    def __str__(self):
        return f"#{self.room} {self.seq} {self.username}: {self.text[:40]}"

    def save(self, *args, **kwargs):
        """Save, giving a new message the next number of its room (for the admin, the shell,
        tests). The chat stores its messages in batches instead, through chat/history.py."""
        if self.seq is not None:
            return super().save(*args, **kwargs)
        # As in bulk_create(): read the newest number and insert in one transaction.
        with transaction.atomic():
            self.seq = Message.objects.head(self.room) + 1
            return super().save(*args, **kwargs)

    def payload(self, history=False):
        """What every socket in the room receives for this message."""
        data = {
            "seq": self.seq,
            "message": self.text,
            "user": self.username,
            "timestamp": self.created.isoformat(),
        }
        if history:
            data["history"] = True
        return data
