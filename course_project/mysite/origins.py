"""Which pages may open a WebSocket: exactly this server's own, or an origin listed in settings.

A browser sends the site's cookies with a WebSocket handshake whichever page opened it, and
cookies belong to a host name, not to a port: a page served from `http://127.0.0.1:8202` gets the
cookies of `http://127.0.0.1:8000`. Channels' AllowedHostsOriginValidator compares only the host
of the `Origin` header with ALLOWED_HOSTS, so that page could read a user's private sockets.
ExactOriginValidator compares scheme, host and port, the way Django's CSRF check compares the
Origin of a form post:

- the origin of the server the socket is opened on (scheme, and the `Host` header, which must be
  in ALLOWED_HOSTS), so a server's own pages work on whatever port it listens on;
- or one of settings.CSRF_TRUSTED_ORIGINS, the origins whose pages Django already trusts to post
  forms here (DJANGO_TRUSTED_ORIGINS: a proxy's address, a JupyterHub's). One list for both, so a
  page that may post a form may open a socket, and no other. Only exact entries count for
  sockets: a wildcard such as https://*.example.com, which Django allows there, is ignored here.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.http.request import split_domain_port, validate_host

DEFAULT_PORTS = {"http": 80, "https": 443}
#: What ALLOWED_HOSTS means when it is empty and DEBUG is on (as Django's request.get_host()).
DEBUG_HOSTS = [".localhost", "127.0.0.1", "[::1]"]


def normalize_origin(value):
    """`value` as "scheme://host[:port]" (lower case, default port left out), or None if it is
    not exactly one http(s) origin: no path, query, user name, password or wildcard."""
    if not isinstance(value, str):
        return None
    try:
        parts = urlsplit(value.strip())
        port = parts.port
    except ValueError:  # a port that is not a number, or out of range
        return None
    if (
        parts.scheme not in DEFAULT_PORTS
        or not parts.hostname
        or "*" in parts.hostname
        or parts.path not in ("", "/")
        or parts.query
        or parts.fragment
        or parts.username is not None
    ):
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    if port is None or port == DEFAULT_PORTS[parts.scheme]:
        return f"{parts.scheme}://{host}"
    return f"{parts.scheme}://{host}:{port}"


def parse_origins(values, name="DJANGO_TRUSTED_ORIGINS"):
    """The origins in `values`, normalized; ImproperlyConfigured naming any that is not one."""
    origins = []
    for value in values:
        origin = normalize_origin(value)
        if origin is None:
            raise ImproperlyConfigured(
                f"{name}: {value!r} is not an origin such as https://hub.example.org or "
                "http://127.0.0.1:8888 (a scheme and a host, maybe a port; no path, no wildcard)"
            )
        origins.append(origin)
    return origins


def header(scope, name):
    """The first value of the header `name` (bytes, lower case) as text, or None."""
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


def is_secure(scope):
    """Did the client connect over TLS? As Django's request.is_secure() decides it."""
    if scope.get("scheme") in ("wss", "https"):
        return True
    proxy_header = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxy_header:
        meta_name, secure_value = proxy_header
        name = meta_name.removeprefix("HTTP_").lower().replace("_", "-").encode()
        value = header(scope, name)
        return value is not None and value.split(",")[0].strip() == secure_value
    return False


def own_origin(scope):
    """The origin of this server's pages, as the client addressed it; None if the `Host` header
    is missing or not in ALLOWED_HOSTS."""
    host = header(scope, b"host")
    if not host:
        return None
    domain, _ = split_domain_port(host)
    allowed_hosts = settings.ALLOWED_HOSTS or (DEBUG_HOSTS if settings.DEBUG else [])
    if not domain or not validate_host(domain, allowed_hosts):
        return None
    return normalize_origin(f"{'https' if is_secure(scope) else 'http'}://{host}")


def trusted_origins():
    """The exact origins of settings.CSRF_TRUSTED_ORIGINS, normalized; wildcards left out."""
    return {normalize_origin(value) for value in settings.CSRF_TRUSTED_ORIGINS} - {None}


def origin_allowed(scope):
    """True if the socket's Origin is exactly this server's own, or a trusted origin."""
    origin = normalize_origin(header(scope, b"origin"))
    if origin is None:  # no Origin header, "null", or something that is not one origin
        return False
    return origin == own_origin(scope) or origin in trusted_origins()


class ExactOriginValidator:
    """Refuses a WebSocket handshake (HTTP 403) unless origin_allowed() says yes."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if scope["type"] == "websocket" and not origin_allowed(scope):
            from channels.security.websocket import WebsocketDenier

            return await WebsocketDenier()(scope, receive, send)
        return await self.application(scope, receive, send)
