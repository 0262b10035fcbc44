"""Signed tokens that let non-browser clients (scripts, apps) authenticate a WebSocket.

A browser sends the session cookie with the handshake; a script has no cookie, and the
WebSocket API gives browsers no way to set headers, so this is for scripts only. The token is
signed with SECRET_KEY (no table of tokens to keep), names the user by id, and expires. It is
worth no more than the login it came from:

- it carries a digest of the user's password hash: once the password changes, it is refused;
- it carries a digest of the session it was made in: once that session is logged out, it is
  refused (logging out records the digest, see EndedSession).

Digests, not the values: a token is readable by whoever holds it (signed, not encrypted), and
must never hand out the session key, which is as good as the session cookie.
"""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core import signing
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac

from .models import EndedSession

SALT = "accounts.websocket-token"
MAX_AGE = 60 * 60  # seconds a token stays valid


def digest(value):
    """A keyed digest of `value`: the same for the same value, useless without SECRET_KEY."""
    return salted_hmac(SALT, value, algorithm="sha256").hexdigest()


def make_token(user, session_key=None):
    """A token for `user`, tied to their password and, if given, to the session it was made in."""
    data = {"user": user.pk, "password": digest(user.get_session_auth_hash())}
    if session_key:
        data["session"] = digest(session_key)
    return signing.dumps(data, salt=SALT)


def user_for_token(token, max_age=MAX_AGE):
    """The active user the token names, or None if it is forged, expired, or outlived its
    password or its session, or if the user is gone."""
    try:
        data = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.BadSignature:  # also raised for an expired token
        return None
    if not isinstance(data, dict):
        return None
    user = get_user_model().objects.filter(pk=data.get("user"), is_active=True).first()
    if user is None:
        return None
    if not constant_time_compare(data.get("password", ""), digest(user.get_session_auth_hash())):
        return None
    session = data.get("session")
    if session and EndedSession.objects.filter(digest=session).exists():
        return None
    return user


def end_session(session_key):
    """Refuse every token made in this session from now on (called at logout)."""
    if not session_key:
        return
    now = timezone.now()
    EndedSession.objects.filter(ended__lt=now - timedelta(seconds=MAX_AGE)).delete()
    EndedSession.objects.update_or_create(digest=digest(session_key), defaults={"ended": now})
