"""The ASGI application for what a cell has written: a consumer class or an app itself."""

__all__ = ["asgi_application"]


def asgi_application(target):
    """A consumer class gives `target.as_asgi()`; an ASGI application is returned as it is."""
    if isinstance(target, type):
        if hasattr(target, "as_asgi"):
            return target.as_asgi()
        raise TypeError(
            f"{target.__name__} is a class without as_asgi(): pass a Channels consumer class "
            "or an ASGI application (an async callable taking scope, receive, send)"
        )
    if not callable(target):
        raise TypeError(f"{target!r} is not an ASGI application or a consumer class")
    return target
