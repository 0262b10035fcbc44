"""Signed tokens that let non-browser clients (scripts, apps) authenticate a WebSocket.

A browser sends the session cookie with the handshake; a script has no cookie, and the
WebSocket API gives browsers no way to set headers, so this is for scripts only. The token is
signed with SECRET_KEY (no table to store), names the user by id, and expires.
"""

from django.contrib.auth import get_user_model
from django.core import signing

SALT = "accounts.websocket-token"
MAX_AGE = 60 * 60  # seconds a token stays valid


def make_token(user):
    return signing.dumps({"user": user.pk}, salt=SALT)


def user_for_token(token, max_age=MAX_AGE):
    """The active user the token names, or None if it is forged, expired or the user is gone."""
    try:
        data = signing.loads(token, salt=SALT, max_age=max_age)
    except signing.BadSignature:  # also raised for an expired token
        return None
    return get_user_model().objects.filter(pk=data.get("user"), is_active=True).first()
