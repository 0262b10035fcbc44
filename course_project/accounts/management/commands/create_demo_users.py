from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

DEMO_USERNAMES = ["alice", "bob", "carol"]
DEMO_PASSWORD = "channels-demo"


class Command(BaseCommand):
    help = "Create (or reset) the demo users alice, bob and carol, for trying the chat in class."

    def add_arguments(self, parser):
        parser.add_argument("--password", default=DEMO_PASSWORD, help="password for all of them")

    def handle(self, password, **options):
        User = get_user_model()
        for username in DEMO_USERNAMES:
            user, created = User.objects.get_or_create(username=username)
            user.set_password(password)
            user.save()
            self.stdout.write(f"{'created' if created else 'reset'} {username}")
        self.stdout.write(f"Log in at /accounts/login/ as any of them with password {password!r}.")
