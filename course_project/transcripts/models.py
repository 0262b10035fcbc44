from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone


class Transcript(models.Model):
    """A chat room's messages as plain text, written by the transcript worker for one user."""

    room = models.CharField(max_length=64)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="transcripts"
    )
    text = models.TextField()
    message_count = models.PositiveIntegerField()
    created = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created", "-id"]

    def __str__(self):
        return f"#{self.room} for {self.user} ({self.message_count} messages)"

    def get_absolute_url(self):
        return reverse("transcripts:download", args=[self.pk])

    @property
    def filename(self):
        # Room names hold only letters, digits, "_", "." and "-": safe in a file name as they are.
        return f"transcript-{self.room}-{self.created:%Y%m%d-%H%M%S}.txt"
