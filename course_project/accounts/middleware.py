from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware
from django.contrib.auth.models import AnonymousUser

from .tokens import user_for_token


class TokenAuthMiddleware(BaseMiddleware):
    """Sets scope["user"] from an `Authorization: Bearer <token>` header, if there is one.

    Place it inside AuthMiddlewareStack: a valid token wins over the session, and without the
    header the session's user stands. A bad token leaves an AnonymousUser, so private consumers
    refuse the socket as they would for a guest.
    """

    async def __call__(self, scope, receive, send):
        token = bearer_token(scope)
        if token is not None:
            user = await database_sync_to_async(user_for_token)(token)
            # A new scope for the inner application; the caller's dict is never changed.
            scope = dict(scope, user=user or AnonymousUser())
        return await super().__call__(scope, receive, send)


def bearer_token(scope):
    for name, value in scope.get("headers", []):
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
    return None
