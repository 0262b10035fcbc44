"""Where SECRET_KEY comes from: the environment in production, a key of this install's own
otherwise.

Everything Django signs (sessions, password-reset links, the scripts' WebSocket tokens) is only
as secret as this key. A key written in the repository is known to everyone who can read it,
who can then sign whatever they like as the server would. So no key is ever committed: a
development install makes its own the first time it starts and keeps it in a file that git
ignores, and production must be given one that Django's own deployment check accepts.
"""

import contextlib
import os
import tempfile

from django.core.checks.security.base import (
    SECRET_KEY_INSECURE_PREFIX,
    SECRET_KEY_MIN_LENGTH,
    SECRET_KEY_MIN_UNIQUE_CHARACTERS,
)
from django.core.exceptions import ImproperlyConfigured
from django.core.management.utils import get_random_secret_key

HOW_TO_MAKE_ONE = (
    'make one with: python -c "from django.core.management.utils import '
    'get_random_secret_key as k; print(k())"'
)


def weakness(key):
    """Why Django's deployment check (security.W009) would reject `key`, or None if it passes."""
    if not key:
        return "it is not set"
    if key.startswith(SECRET_KEY_INSECURE_PREFIX):
        return f"it starts with {SECRET_KEY_INSECURE_PREFIX!r}"
    if len(key) < SECRET_KEY_MIN_LENGTH:
        return f"it has {len(key)} characters; at least {SECRET_KEY_MIN_LENGTH} are needed"
    if len(set(key)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS:
        return f"it has fewer than {SECRET_KEY_MIN_UNIQUE_CHARACTERS} different characters"
    return None


def production_key(key):
    """`key` if it is strong enough to deploy with; ImproperlyConfigured saying why not."""
    problem = weakness(key)
    if problem:
        raise ImproperlyConfigured(
            f"DJANGO_SECRET_KEY is not usable with DJANGO_DEBUG off: {problem}; {HOW_TO_MAKE_ONE}"
        )
    return key


def install_key(path):
    """This install's own key: read from `path`, or generated and written there first.

    Several processes may start at once (test workers, a server and `manage.py notify`): the
    key is written to a temporary file and linked into place, which fails if another process
    got there first, so every process ends up with the same key.
    """
    with contextlib.suppress(FileNotFoundError):
        return read_key(path)
    folder = os.path.dirname(os.path.abspath(path))
    descriptor, temporary = tempfile.mkstemp(dir=folder, prefix=".secret_key-")
    try:
        with os.fdopen(descriptor, "w") as file:  # mkstemp makes it readable by its owner only
            file.write(get_random_secret_key() + "\n")
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        os.unlink(temporary)
    return read_key(path)


def read_key(path):
    with open(path) as file:
        key = file.read().strip()
    if weakness(key):
        raise ImproperlyConfigured(f"{path} does not hold a usable key; delete it to get a new one")
    return key
