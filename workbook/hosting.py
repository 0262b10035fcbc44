"""Where the learner's browser reaches a server the workbook started.

A lesson's server listens on 127.0.0.1 of the machine that runs the kernel. When the browser runs
on that machine too, http://127.0.0.1:<port>/ is right. In a class it often is not:

- JupyterHub and Binder: the browser talks to the hub only. jupyter-server-proxy (installed with
  the course) passes <the server's prefix>proxy/<port>/... on to 127.0.0.1:<port>, on the Jupyter
  server's own origin, and strips that prefix on the way. The hub tells the kernel its prefix
  (JUPYTERHUB_SERVICE_PREFIX) and, when it knows it, its public address (JUPYTERHUB_PUBLIC_URL).
- GitHub Codespaces: each forwarded port has an address of its own,
  https://<codespace>-<port>.<forwarding domain>/ (CODESPACE_NAME and
  GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN say which).
- Anything else: WORKBOOK_BROWSER_URL says it, with {port} where the port goes, e.g.
  /proxy/{port}/ for a Jupyter server with the proxy at its root, or
  https://lab.example.org/proxy/{port}/. It wins over the others.

where_browser_is() is the one place that decides, and browser_address(port) applies it to a port.
The in-kernel server asks once it has its port, before Django reads its settings
(workbook.server); `server.browser_url(path)` gives lessons their links; `make serve` asks
through `python -m tools.serve`.
"""

import os
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = [
    "BrowserAddress",
    "HostingError",
    "browser_address",
    "learn_proxied_host",
    "where_browser_is",
]

LOCAL = "http://127.0.0.1:{port}/"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}


class HostingError(ValueError):
    """A setting that says where the browser is cannot be used; the message says why."""


@dataclass(frozen=True)
class BrowserAddress:
    """Where the learner's browser reaches 127.0.0.1:`port`: at `base`, an address ending in "/",
    either a full URL or a path on an origin the kernel cannot see (a hub's, when it does not
    say it). `via` says in words how the browser gets there."""

    port: int
    base: str
    via: str

    def url(self, path="/"):
        """The address of `path` on that server, for the browser: "/chat/lobby/" → base + path."""
        return self.base + path.lstrip("/")

    @property
    def local(self):
        return self.base == LOCAL.format(port=self.port)

    @property
    def script_name(self):
        """The path prefix the browser sees the server under ("" at the root)."""
        return urlsplit(self.base).path.rstrip("/")

    @property
    def origin(self):
        """scheme://host[:port] of `base`, or None when it is a path on an unknown origin."""
        parts = urlsplit(self.base)
        return f"{parts.scheme}://{parts.netloc}" if parts.netloc else None

    @property
    def learns_host(self):
        """Behind a proxy whose public address the kernel cannot see: see learn_proxied_host()."""
        return self.origin is None

    def django_environ(self):
        """The environment variables that tell course_project's settings about this address."""
        environ = {}
        if self.script_name:
            environ["DJANGO_SCRIPT_NAME"] = self.script_name
        if self.origin and urlsplit(self.origin).hostname not in LOCAL_HOSTS:
            environ["DJANGO_TRUSTED_ORIGINS"] = self.origin
        return environ


def where_browser_is(environ=None):
    """How the learner's browser reaches servers on this machine: (template, via), the template
    an address with {port} in it. The one place that decides; the setting is checked here."""
    environ = os.environ if environ is None else environ
    setting = environ.get("WORKBOOK_BROWSER_URL", "").strip()
    if setting:
        return _checked_setting(setting), "WORKBOOK_BROWSER_URL"
    hub_prefix = environ.get("JUPYTERHUB_SERVICE_PREFIX", "")
    if hub_prefix:
        public = environ.get("JUPYTERHUB_PUBLIC_URL", "") or hub_prefix
        return _slash(public) + "proxy/{port}/", "JupyterHub's jupyter-server-proxy"
    codespace = environ.get("CODESPACE_NAME", "")
    domain = environ.get("GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN", "")
    if environ.get("CODESPACES", "").lower() == "true" and codespace and domain:
        return f"https://{codespace}-{{port}}.{domain}/", "the codespace's port forwarding"
    return LOCAL, "this machine"


def browser_address(port, environ=None):
    """Where the learner's browser reaches a server listening on 127.0.0.1:`port`."""
    if not str(port).isdigit() or not 0 < int(port) < 65536:
        raise HostingError(f"{port} is not a TCP port")
    port = int(port)
    template, via = where_browser_is(environ)
    return BrowserAddress(port, template.replace("{port}", str(port)), via)


def _slash(path):
    return path if path.endswith("/") else path + "/"


def _checked_setting(template):
    if "{port}" not in template:
        raise HostingError(
            f"WORKBOOK_BROWSER_URL={template!r} has no {{port}} in it, "
            "e.g. /proxy/{port}/ or https://lab.example.org/proxy/{port}/"
        )
    template = _slash(template)
    parts = urlsplit(template)
    is_path = template.startswith("/") and not template.startswith("//")
    if not is_path and not (parts.scheme in {"http", "https"} and parts.netloc):
        raise HostingError(
            f"WORKBOOK_BROWSER_URL={template!r} is neither an http(s) address nor a path "
            "starting with /"
        )
    return template


def learn_proxied_host(scope, address, allowed_hosts):
    """Accept the host name the browser uses, learned from jupyter-server-proxy: for the
    in-kernel server behind a hub that does not tell the kernel its public address.

    The proxy passes the browser's own Host header on, and marks every HTTP request it forwards
    with the prefix it served it under (X-Forwarded-Context). A request carrying exactly this
    server's prefix came through the hub, which let the learner in; its host is the hub's, so it
    goes into `allowed_hosts` (settings.ALLOWED_HOSTS, which the origin check reads too). On a
    hub nothing but the proxy and the learner's own processes can reach 127.0.0.1.
    Returns the host added, or None.
    """
    if not address.learns_host or scope["type"] != "http":
        return None
    headers = dict(scope["headers"])
    if headers.get(b"x-forwarded-context", b"").decode("latin-1") != address.script_name:
        return None
    from django.http.request import split_domain_port

    domain, _ = split_domain_port(headers.get(b"host", b"").decode("latin-1"))
    if not domain or domain in allowed_hosts:
        return None
    allowed_hosts.append(domain)
    return domain
