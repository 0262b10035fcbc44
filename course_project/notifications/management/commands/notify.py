from channels.layers import InMemoryChannelLayer, get_channel_layer
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from notifications.push import notify
from notifications.validators import validate_link


class Command(BaseCommand):
    help = (
        "Store a notification for a user and push it to their open sockets. Exits with 0 once "
        "it is stored, pushed or not (a user whose sockets miss it gets it on their next connect)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username", help="who gets the notification")
        parser.add_argument("text", help="what it says")
        parser.add_argument("--link", default="", help="a page it points to, e.g. /chat/lobby/")

    def handle(self, username, text, link, **options):
        text = text.strip()
        if not text:
            raise CommandError("the notification text is blank")
        try:
            validate_link(link)
        except ValidationError as error:
            raise CommandError(error.messages[0]) from None
        try:
            user = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist:
            raise CommandError(f"no user named {username!r}") from None
        notification = notify(user, text, link)
        if isinstance(get_channel_layer(), InMemoryChannelLayer):
            self.stdout.write(
                f"Stored notification {notification.pk} for {username}; the in-memory channel "
                "layer cannot reach a running server from this process, so "
                f"{username} gets it on their next connect (set REDIS_URL for live delivery)."
            )
        elif not notification.pushed:
            self.stdout.write(
                f"Stored notification {notification.pk} for {username}; the channel layer "
                f"cannot be reached right now (is Redis running?), so {username} gets it when "
                "their page next connects."
            )
        else:
            self.stdout.write(f"Sent notification {notification.pk} to {username}.")
