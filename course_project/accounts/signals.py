from django.contrib.auth.signals import user_logged_out
from django.dispatch import receiver

from .tokens import end_session


@receiver(user_logged_out)
def end_tokens_of_the_session(sender, request, user, **kwargs):
    """Logging out ends the session, and with it every script token made in it."""
    # Sent before logout() flushes the session, so its key is still the one tokens hold.
    if request is not None and hasattr(request, "session"):
        end_session(request.session.session_key)
