"""@username in a chat message notifies that user, within limits.

Without limits, one message naming 500 users sends 500 notifications, and a few sockets bury
everyone's real notifications under thousands. So: at most CHAT_MENTIONS_PER_MESSAGE users are
notified per message (the first ones named), none at all for an anonymous guest
(CHAT_GUEST_MENTIONS_PER_MESSAGE), and at most CHAT_MENTIONS_PER_MINUTE per user, counted
across all their sockets (mysite/limits.py). Mentions over a limit are left as plain text.
"""

import re

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.text import Truncator

from mysite.limits import RateLimit

from .push import anotify

# Django usernames may hold letters, digits and @ . + - _; "@" right after a word character
# is an e-mail address, not a mention.
MENTION = re.compile(r"(?<![\w@])@(\w[\w.+-]*)")


def find_mentions(text):
    """The names mentioned in `text`, each once, in order ("@bob." means bob)."""
    names = (name.rstrip(".") for name in MENTION.findall(text))
    return list(dict.fromkeys(names))


def mentions_per_minute():
    return RateLimit("mentions", 60, per_user=settings.CHAT_MENTIONS_PER_MINUTE)


def mention_limit(message):
    """How many users `message` may notify: fewer (none by default) for an anonymous guest."""
    if message.user_id is None:
        return settings.CHAT_GUEST_MENTIONS_PER_MESSAGE
    return settings.CHAT_MENTIONS_PER_MESSAGE


async def notify_mentions(message):
    """Notify the users a chat message mentions (not its author), within the limits above.

    Returns the users notified.
    """
    names = [name for name in find_mentions(message.text) if name != message.username]
    limit = mention_limit(message)
    if limit is not None:
        names = names[:limit]
    if not names:
        return []
    excerpt = Truncator(message.text).chars(200)
    text = f"{message.username} mentioned you in #{message.room}: {excerpt}"
    link = reverse("chat:room", args=[message.room])
    per_minute = mentions_per_minute()
    sender = [f"user:{message.user_id}"] if message.user_id is not None else []
    users = get_user_model().objects.filter(username__in=names, is_active=True)
    notified = []
    async for user in users.order_by("pk"):
        if not await per_minute.ahit(sender):
            break
        await anotify(user, text, link)
        notified.append(user)
    return notified
