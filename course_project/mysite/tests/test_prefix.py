"""The site under a path prefix behind a proxy (mysite/prefix.py), and the settings that say so.

Requests and sockets come with paths that have no prefix, as jupyter-server-proxy passes them on
after stripping /user/<name>/proxy/<port> off; FORCE_SCRIPT_NAME says what it was.
"""

import re
from urllib.parse import urlencode

import pytest
from channels.testing import ApplicationCommunicator
from django.core.exceptions import ImproperlyConfigured

from chat.models import Message
from mysite.prefix import site_path, site_url
from mysite.settings import env_origins, origin_host
from mysite.testing import CLIENT, HOST, ORIGIN, PASSWORD
from notifications.models import Notification

PREFIX = "/user/ada/proxy/8000"


@pytest.fixture
def under_prefix(settings):
    settings.FORCE_SCRIPT_NAME = PREFIX


# Settings read from the environment.


def test_trusted_origins_are_read_exactly(monkeypatch):
    monkeypatch.setenv("DJANGO_TRUSTED_ORIGINS", " https://hub.example.org, http://[::1]:8888 ,")

    assert env_origins("DJANGO_TRUSTED_ORIGINS") == ["https://hub.example.org", "http://[::1]:8888"]
    assert origin_host("https://hub.example.org") == "hub.example.org"
    assert origin_host("http://[::1]:8888") == "[::1]"


@pytest.mark.parametrize(
    "value",
    [
        "hub.example.org",  # no scheme
        "https://*.app.github.dev",  # a wildcard lets in every other codespace's pages
        "https://hub.example.org/user/ada/",  # a path is not part of an origin
        "ftp://hub.example.org",
        "https://",
    ],
)
def test_anything_but_an_exact_origin_is_refused_with_the_reason(monkeypatch, value):
    monkeypatch.setenv("DJANGO_TRUSTED_ORIGINS", value)

    with pytest.raises(ImproperlyConfigured, match="is not an origin such as https://"):
        env_origins("DJANGO_TRUSTED_ORIGINS")


def test_no_variable_means_no_trusted_origins(monkeypatch):
    monkeypatch.delenv("DJANGO_TRUSTED_ORIGINS", raising=False)

    assert env_origins("DJANGO_TRUSTED_ORIGINS") == []


# Paths inside the site and addresses for the browser.


def test_links_are_kept_as_paths_inside_the_site(under_prefix):
    assert site_path(f"{PREFIX}/chat/lobby/") == "/chat/lobby/"
    assert site_path("/chat/lobby/") == "/chat/lobby/"
    assert site_url("/chat/lobby/") == f"{PREFIX}/chat/lobby/"
    assert site_url(f"{PREFIX}/chat/lobby/") == f"{PREFIX}/chat/lobby/"
    for elsewhere in ["https://example.org/", "//example.org/x", ""]:
        assert site_url(elsewhere) == elsewhere


def test_at_the_root_nothing_changes():
    assert site_path("/chat/lobby/") == "/chat/lobby/"
    assert site_url("/chat/lobby/") == "/chat/lobby/"


@pytest.mark.django_db
def test_a_notification_stores_the_path_and_shows_the_address(under_prefix, alice):
    notification = Notification.objects.create(
        user=alice, message="hi", link=f"{PREFIX}/notifications/"
    )

    notification.refresh_from_db()
    assert notification.link == "/notifications/"
    assert notification.payload(unread=1)["link"] == "/notifications/"
    assert notification.url == f"{PREFIX}/notifications/"


# Pages and redirects, through the project's full ASGI application (Django's test clients do not
# apply the script prefix, a server's handler does).


async def asgi_request(path, *, method="GET", body=b"", headers=()):
    """(status, headers, body) of the application's answer to a request for `path`."""
    from mysite.asgi import application

    scope = {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver"), *headers],
    }
    if "?" in path:
        path, query = path.split("?", 1)
        scope.update(path=path, query_string=query.encode())
    communicator = ApplicationCommunicator(application, scope)
    await communicator.send_input({"type": "http.request", "body": body})
    start = await communicator.receive_output(timeout=3)
    content = b""
    while True:
        message = await communicator.receive_output(timeout=3)
        content += message.get("body", b"")
        if not message.get("more_body"):
            break
    headers = {name.lower(): value for name, value in start["headers"]}
    return start["status"], headers, content.decode()


@pytest.mark.django_db(transaction=True)
async def test_a_page_carries_the_prefix_in_links_and_for_its_scripts(under_prefix):
    status, _, page = await asgi_request("/chat/lobby/")

    assert status == 200
    assert f'data-site-root="{PREFIX}/"' in page  # site.js builds socket URLs from it
    assert f'href="{PREFIX}/chat/"' in page
    assert f'href="{PREFIX}/accounts/login/?next={PREFIX}/chat/lobby/"' in page


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("path", "location"),
    [
        ("/", f"{PREFIX}/chat/"),  # RedirectView
        ("/chat/lobby", f"{PREFIX}/chat/lobby/"),  # APPEND_SLASH
        ("/notifications/", f"{PREFIX}/accounts/login/?next={PREFIX}/notifications/"),
    ],
)
async def test_redirects_keep_the_host_and_carry_the_prefix_once(under_prefix, path, location):
    _, headers, _ = await asgi_request(path)

    # A network-path reference: no proxy adds its prefix to it a second time.
    assert headers[b"location"].decode() == f"//testserver{location}"


@pytest.mark.django_db(transaction=True)
async def test_logging_in_under_the_prefix_goes_back_to_the_page(under_prefix, alice):
    _, headers, page = await asgi_request("/accounts/login/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)[1]
    cookie = headers[b"set-cookie"].split(b";")[0]
    form = urlencode({"username": "alice", "password": PASSWORD, "csrfmiddlewaretoken": token})

    status, headers, _ = await asgi_request(
        f"/accounts/login/?next={PREFIX}/chat/lobby/",
        method="POST",
        body=form.encode(),
        headers=[
            (b"cookie", cookie),
            (b"content-type", b"application/x-www-form-urlencoded"),
            (b"origin", b"http://testserver"),
        ],
    )

    assert status == 302
    assert headers[b"location"].decode() == f"//testserver{PREFIX}/chat/lobby/"


@pytest.mark.django_db(transaction=True)
async def test_at_the_root_redirects_are_unchanged():
    _, headers, _ = await asgi_request("/")

    assert headers[b"location"] == b"/chat/"


# Sockets.


async def handshake(path, root_path="", host=None, origin=None):
    """What the full application answers a socket on `path` (as the server passes it on), by
    default from the server's own pages."""
    from mysite.asgi import application

    scope = {
        "type": "websocket",
        "path": path,
        "root_path": root_path,
        "headers": [(b"host", host or HOST), (b"origin", origin or ORIGIN)],
        "client": CLIENT,
        "subprotocols": [],
    }
    communicator = ApplicationCommunicator(application, scope)
    await communicator.send_input({"type": "websocket.connect"})
    answer = await communicator.receive_output(timeout=3)
    await communicator.send_input({"type": "websocket.disconnect", "code": 1000})
    await communicator.wait(timeout=3)
    return answer["type"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("path", "root_path"),
    [
        ("/ws/chat/prefixed/", ""),  # jupyter-server-proxy strips the prefix
        ("/ws/chat/prefixed/", PREFIX),  # ... and daphne's runserver sets it as root_path
        (f"{PREFIX}/ws/chat/prefixed/", PREFIX),  # a proxy that passes the whole path on
    ],
)
async def test_sockets_route_under_the_prefix_however_the_path_arrives(
    under_prefix, path, root_path
):
    assert await handshake(path, root_path) == "websocket.accept"
    await Message.objects.filter(room="prefixed").adelete()


@pytest.mark.django_db(transaction=True)
async def test_a_socket_from_the_hubs_page_needs_the_hub_among_the_trusted_origins(
    under_prefix, settings
):
    # jupyter-server-proxy passes on the browser's Host (the hub's) and its Origin (https, the
    # hub's); the connection it makes to the site is plain http, so that is not the site's own
    # origin. DJANGO_TRUSTED_ORIGINS names the hub, for forms and sockets alike.
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "hub.example.org"]
    from_the_hub = {"host": b"hub.example.org", "origin": b"https://hub.example.org"}

    assert await handshake("/ws/chat/prefixed/", **from_the_hub) == "websocket.close"
    settings.CSRF_TRUSTED_ORIGINS = ["https://hub.example.org"]
    assert await handshake("/ws/chat/prefixed/", **from_the_hub) == "websocket.accept"
    await Message.objects.filter(room="prefixed").adelete()
