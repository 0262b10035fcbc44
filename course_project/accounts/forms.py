"""The sign-up form: Django's, with user names that cannot pass for someone else."""

from django.contrib.auth.forms import UserCreationForm
from django_registration.validators import (
    DEFAULT_RESERVED_NAMES,
    ReservedNameValidator,
    validate_confusables,
)

from chat.models import ANONYMOUS

#: django-registration's list (admin, root, www, ...) and the name the chat shows for guests:
#: a user called "anonymous" would look like any guest.
RESERVED_NAMES = [*DEFAULT_RESERVED_NAMES, ANONYMOUS, "guest", "system", "server"]
reserved = ReservedNameValidator([name.casefold() for name in RESERVED_NAMES])


def validate_not_reserved(username):
    """ "Anonymous" passes for a guest as well as "anonymous" does: compare without case."""
    reserved(username.casefold())


class SignupForm(UserCreationForm):
    """Refuses reserved names, and names that mix scripts with look-alike letters ("аlice"
    with a Cyrillic "а" passes for "alice"). Both checks are django-registration's; Django's
    own form already refuses a name that differs from a taken one only in case."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["username"].validators += [
            validate_not_reserved,
            validate_confusables,
        ]
