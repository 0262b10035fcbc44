"""@username in a chat message notifies that user."""

import re

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.text import Truncator

from .push import anotify

# Django usernames may hold letters, digits and @ . + - _; "@" right after a word character
# is an e-mail address, not a mention.
MENTION = re.compile(r"(?<![\w@])@(\w[\w.+-]*)")


def find_mentions(text):
    """The names mentioned in `text`, each once, in order ("@bob." means bob)."""
    names = (name.rstrip(".") for name in MENTION.findall(text))
    return list(dict.fromkeys(names))


async def notify_mentions(message):
    """Notify every existing user a chat message mentions, except its author."""
    names = [name for name in find_mentions(message.text) if name != message.username]
    if not names:
        return
    excerpt = Truncator(message.text).chars(200)
    text = f"{message.username} mentioned you in #{message.room}: {excerpt}"
    link = reverse("chat:room", args=[message.room])
    async for user in get_user_model().objects.filter(username__in=names, is_active=True):
        await anotify(user, text, link)
