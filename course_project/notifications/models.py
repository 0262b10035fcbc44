from django.conf import settings
from django.db import models
from django.utils import timezone

from mysite.prefix import site_path, site_url

from .validators import validate_link


class NotificationQuerySet(models.QuerySet):
    def unread(self):
        return self.filter(read=False)


class Notification(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    message = models.TextField()
    # A page of the site as a path inside it ("/chat/lobby/"), without the prefix the site was
    # reached under when it was made (behind a proxy that prefix is not the same every day),
    # or an http(s) address: never anything that could run script when clicked.
    link = models.CharField(max_length=200, blank=True, validators=[validate_link])
    created = models.DateTimeField(default=timezone.now)
    read = models.BooleanField(default=False)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created", "-id"]
        indexes = [models.Index(fields=["user", "read"], name="notifications_user_read")]

    def __str__(self):
        return f"to {self.user}: {self.message[:40]}"

    def save(self, *args, **kwargs):
        self.link = site_path(self.link)  # reverse() in a view gives it with the prefix
        # Every writer comes through here (views, consumers, workers, commands, the admin):
        # a link that could run script is never stored, whoever tries.
        validate_link(self.link)
        super().save(*args, **kwargs)

    @property
    def url(self):
        """The link's address for a browser, under the prefix the site is served under."""
        return site_url(self.link)

    def payload(self, unread):
        """What the user's sockets receive; `unread` is their unread count, for the badge."""
        return {
            "type": "notification",
            "id": self.pk,
            "message": self.message,
            "link": self.link,
            "created": self.created.isoformat(),
            "read": self.read,
            "unread": unread,
        }
