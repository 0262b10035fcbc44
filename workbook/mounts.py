"""The application the in-kernel server runs: course_project's, plus what cells mount on it.

    table = MountTable()
    table.mount("ws/echo/", EchoConsumer)      # a consumer written in a cell
    table.mount_http("raw/", raw_app)          # a raw ASGI app, before Django

WebSocket connections go through the project's own WebSocket stack, built by
`mysite.asgi.websocket_application(router)` exactly as the project's `application` is (origin
check, the user from the session or a token, ...), around a router that tries the mounted
consumers first and then the project's routes. So a mounted consumer is checked and
authenticated as the project's are, and a middleware added to that factory applies to both.
"""

from workbook.asgi import asgi_application

__all__ = ["MountTable"]


def _websocket_pattern(route, app):
    """A URLPattern from `route` (a path string, or a path()/re_path() entry) and `app`."""
    from django.urls import URLPattern, path

    if isinstance(route, URLPattern):
        if app is not None:
            raise TypeError(
                "mount(path(...)) takes the consumer inside path(); do not pass it twice"
            )
        return URLPattern(
            route.pattern, asgi_application(route.callback), route.default_args, route.name
        )
    if not isinstance(route, str):
        raise TypeError(f"route must be a path string or a path()/re_path() entry, not {route!r}")
    if app is None:
        raise TypeError(
            f"mount({route!r}, ...) needs the consumer class or ASGI app to serve there"
        )
    return path(route.lstrip("/"), asgi_application(app))


def _websocket_key(route):
    """How a WebSocket mount is named: its route, as path() or re_path() holds it."""
    from django.urls import URLPattern

    return str(route.pattern) if isinstance(route, URLPattern) else str(route).lstrip("/")


def _http_prefix(prefix):
    key = str(prefix).strip("/")
    if not key:
        raise ValueError("mount HTTP apps under a prefix such as 'raw/', not at the root")
    return key


class MountTable:
    """course_project's ASGI application with cells' consumers and apps mounted in front.

    HTTP requests under a mounted prefix go to that app, the rest to the project (Django).
    A connection is routed when it opens, from the table as it is then, so a re-mount affects
    new connections only. Tables are replaced, never changed in place, because cells change them
    from the kernel's thread while the server reads them from its own.
    """

    def __init__(self):
        from channels.routing import URLRouter

        from mysite import asgi, routing
        from mysite.prefix import with_script_name

        self.with_script_name = with_script_name
        self.application = asgi.application
        self.project_router = URLRouter(routing.websocket_urlpatterns)
        self.websocket_app = asgi.websocket_application(self.route_websocket)
        self.websocket = {}  # route: (URLPattern, URLRouter over just that pattern)
        self.http = {}  # prefix without slashes: app

    def mount(self, route, app=None):
        from channels.routing import URLRouter

        pattern = _websocket_pattern(route, app)
        key = _websocket_key(pattern)
        self.websocket = {**self.websocket, key: (pattern, URLRouter([pattern]))}

    def mount_http(self, prefix, app):
        self.http = {**self.http, _http_prefix(prefix): asgi_application(app)}

    def unmount(self, route):
        if _websocket_key(route) in self.websocket:
            key = _websocket_key(route)
            self.websocket = {k: v for k, v in self.websocket.items() if k != key}
        elif str(route).strip("/") in self.http:
            key = str(route).strip("/")
            self.http = {k: v for k, v in self.http.items() if k != key}
        else:
            mounted = [*self.websocket, *self.http]
            raise KeyError(f"nothing is mounted at {route!r}; mounted: {mounted or 'nothing'}")

    async def route_websocket(self, scope, receive, send):
        """The router inside the websocket stack: mounted consumers first, then the project's."""
        # Under a path prefix the stack has put it in root_path, and the path starts with it.
        path = scope["path"].removeprefix(scope.get("root_path", "")).lstrip("/")
        for pattern, router in self.websocket.values():
            if pattern.pattern.match(path):
                return await router(scope, receive, send)
        return await self.project_router(scope, receive, send)

    def _http_app(self, scope):
        # Behind a proxy that strips the site's path prefix (FORCE_SCRIPT_NAME) a path comes
        # without it: mounts are matched on the path inside the site, and a mounted app gets the
        # path with the prefix and its mount point as root_path, as ASGI has it (mysite/prefix.py).
        scope = self.with_script_name(scope)
        root = scope.get("root_path", "")
        path = scope["path"].removeprefix(root).lstrip("/")
        for prefix, app in self.http.items():
            if path == prefix or path.startswith(prefix + "/"):
                return app, dict(scope, root_path=f"{root}/{prefix}")
        return self.application, scope

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket":
            return await self.websocket_app(scope, receive, send)
        if scope["type"] == "http":
            app, scope = self._http_app(scope)
            return await app(scope, receive, send)
        return await self.application(scope, receive, send)
