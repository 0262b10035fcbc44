"""Users and their sessions in the in-kernel server's database, for lessons' sockets.

    alice = create_user("alice", "wonderland-42")
    await connect(server, "/ws/notifications/", cookie=login_cookie(alice))

Both run their ORM code on the server's loop (LiveServer.run_sync), since a cell's thread has a
running event loop, where Django refuses it.
"""

from workbook.server import live_server

__all__ = ["create_user", "login_cookie"]


def _create_user(username, password):
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(username=username)
    user.set_password(password)
    user.save()
    return user


def create_user(username, password):
    """A user in the in-kernel server's database (created, or its password reset if it exists)."""
    return live_server().run_sync(_create_user, username, password)


def _login_cookie(user):
    from django.contrib.auth import get_user_model

    from mysite.testing import login_cookie

    User = get_user_model()
    # Looked up afresh even for a User object: a stale copy (its password changed since) would
    # sign a session the auth middleware then rejects, and the socket would be anonymous.
    lookup = {"username": user} if isinstance(user, str) else {"pk": user.pk}
    try:
        account = User.objects.get(**lookup)
    except User.DoesNotExist:
        raise LookupError(
            f"no user {user!r} in the server's database: "
            "create one with create_user(name, password)"
        ) from None
    return login_cookie(account)


def login_cookie(user):
    """A Cookie header value logging `user` (a User or a username) in on the in-kernel server."""
    return live_server().run_sync(_login_cookie, user)
