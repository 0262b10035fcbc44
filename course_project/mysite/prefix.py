"""The site under a path prefix: what FORCE_SCRIPT_NAME does not do by itself.

On a plain `make serve` the site lives at "/" and nothing here changes anything. Behind a proxy it
may live under a prefix: JupyterHub's jupyter-server-proxy shows it to the browser at
/user/<name>/proxy/<port>/ and strips that prefix before passing a request on. settings.
FORCE_SCRIPT_NAME names the prefix (DJANGO_SCRIPT_NAME), and from it Django's {% url %},
{% static %} and reverse() carry it. Three things are left, and this module does them:

- The path. ASGI says a scope's path starts with its root_path, and Django's request.path (in
  APPEND_SLASH's redirects, in ?next=) and Channels' routing rely on it; after a proxy that strips
  the prefix it does not. ScriptNameMiddleware puts it back into request.path, and
  WebSocketScriptName into the path of every socket's scope (Channels refuses a path that does not
  start with the root path the server set, as daphne's runserver does from FORCE_SCRIPT_NAME).
- Redirects. jupyter-server-proxy (from 4.5 on) adds its prefix to every redirect to an absolute
  path, so a redirect that already carries ours would get it twice; older versions add nothing.
  ScriptNameMiddleware sends such redirects as network-path references, //host/prefix/..., which
  no proxy rewrites and which keep the page's own scheme.
- Stored links. A notification keeps the path of a page inside the site (/chat/lobby/), never the
  prefix it was reached under that day: site_path() and site_url() convert between the two.
"""

from django.conf import settings
from django.utils.deprecation import MiddlewareMixin


def script_name():
    """The prefix the site is served under, without a trailing slash: "" at the root."""
    return (settings.FORCE_SCRIPT_NAME or "").rstrip("/")


def _under(path, prefix):
    return path == prefix or path.startswith(prefix + "/")


def site_path(url):
    """`url` as a path inside the site: the prefix taken off a path that starts with it."""
    prefix = script_name()
    if prefix and _under(url, prefix):
        return url[len(prefix) :] or "/"
    return url


def site_url(path):
    """The address of the site's page `path` ("/chat/lobby/") for a browser: the prefix added.

    Anything that is not a path inside the site (a full URL, "//host/...", "") is left alone.
    """
    prefix = script_name()
    if prefix and path.startswith("/") and not path.startswith("//") and not _under(path, prefix):
        return prefix + path
    return path


def with_script_name(scope):
    """An HTTP or WebSocket `scope` with the prefix as root_path and its path under it."""
    prefix = script_name()
    if not prefix or scope["type"] not in {"http", "websocket"}:
        return scope
    path = scope["path"] if _under(scope["path"], prefix) else prefix + scope["path"]
    return dict(scope, path=path, root_path=prefix)


class WebSocketScriptName:
    """ASGI middleware in front of the WebSocket router: with_script_name() on every scope."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        return await self.app(with_script_name(scope), receive, send)


class ScriptNameMiddleware(MiddlewareMixin):
    """Django middleware, first in MIDDLEWARE: request.path with the prefix, and redirects inside
    the site as //host/prefix/... (see above). Does nothing at the root."""

    def process_request(self, request):
        prefix = script_name()
        if prefix and not _under(request.path, prefix):
            request.path = prefix + request.path

    def process_response(self, request, response):
        prefix = script_name()
        location = response.get("Location", "")
        if prefix and _under(location, prefix):
            # get_host() is the Host the browser asked for, already checked against ALLOWED_HOSTS.
            response["Location"] = f"//{request.get_host()}{location}"
        return response
