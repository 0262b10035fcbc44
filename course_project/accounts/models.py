from django.db import models
from django.utils import timezone


class EndedSession(models.Model):
    """A login session that was logged out: script tokens made in it are no longer accepted.

    Tokens carry only a keyed digest of their session key (accounts/tokens.py), never the key.
    Rows are needed only while a token from that session could still be valid (tokens.MAX_AGE),
    and older ones are deleted as new ones are added.
    """

    digest = models.CharField(max_length=64, primary_key=True)
    ended = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self):
        return f"session {self.digest[:12]}... ended {self.ended:%Y-%m-%d %H:%M}"
