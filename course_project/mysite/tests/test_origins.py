"""A socket is accepted from exactly the server's own origin, or one in CSRF_TRUSTED_ORIGINS."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from mysite.origins import normalize_origin, origin_allowed, parse_origins

pytestmark = pytest.mark.django_db(transaction=True)


def scope(origin, host="127.0.0.1:8000", scheme="ws", **headers):
    raw = [(b"host", host.encode())] if host else []
    if origin is not None:
        raw.append((b"origin", origin.encode()))
    raw += [(name.replace("_", "-").encode(), value.encode()) for name, value in headers.items()]
    return {"type": "websocket", "scheme": scheme, "headers": raw}


@pytest.mark.parametrize(
    ("value", "normalized"),
    [
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("HTTP://Chat.Example.COM", "http://chat.example.com"),
        ("https://chat.example.com:443", "https://chat.example.com"),
        ("http://chat.example.com:80/", "http://chat.example.com"),
        ("http://[::1]:8000", "http://[::1]:8000"),
        ("null", None),
        ("chat.example.com", None),
        ("ftp://chat.example.com", None),
        ("https://chat.example.com/page", None),
        ("https://user:pw@chat.example.com", None),
        ("http://127.0.0.1:99999", None),
        (None, None),
    ],
)
def test_normalize_origin(value, normalized):
    assert normalize_origin(value) == normalized


def test_trusted_origins_from_the_environment_must_be_origins():
    assert parse_origins(["https://chat.example.com/"]) == ["https://chat.example.com"]
    for value in ["chat.example.com", "https://*.example.com"]:
        with pytest.raises(ImproperlyConfigured, match=r"DJANGO_TRUSTED_ORIGINS: .* not an origin"):
            parse_origins([value])


def test_the_servers_own_pages_may_connect():
    assert origin_allowed(scope("http://127.0.0.1:8000"))
    assert origin_allowed(scope("http://localhost:8000", host="localhost:8000"))


@pytest.mark.parametrize(
    "origin",
    [
        pytest.param("http://127.0.0.1:8202", id="another-port"),
        pytest.param("https://127.0.0.1:8000", id="another-scheme"),
        pytest.param("http://localhost:8000", id="another-host"),
        pytest.param("http://127.0.0.1", id="default-port"),
        pytest.param("null", id="null"),
        pytest.param(None, id="no-origin"),
    ],
)
def test_any_other_origin_is_refused(origin):
    assert not origin_allowed(scope(origin))


def test_a_host_not_in_allowed_hosts_makes_no_own_origin(settings):
    settings.ALLOWED_HOSTS = ["chat.example.com"]

    assert not origin_allowed(scope("http://evil.example:8000", host="evil.example:8000"))


def test_trusted_origins_are_accepted_exactly(settings):
    # The one list Django's CSRF check reads for forms (DJANGO_TRUSTED_ORIGINS).
    settings.CSRF_TRUSTED_ORIGINS = ["https://chat.example.com"]

    assert origin_allowed(scope("https://chat.example.com", host="127.0.0.1:8000"))
    assert not origin_allowed(scope("http://chat.example.com", host="127.0.0.1:8000"))
    assert not origin_allowed(scope("https://chat.example.com:8443", host="127.0.0.1:8000"))


def test_a_wildcard_trusted_for_forms_opens_no_socket(settings):
    # Django accepts https://*.example.com in CSRF_TRUSTED_ORIGINS set in code; sockets do not.
    settings.CSRF_TRUSTED_ORIGINS = ["https://*.example.com"]

    assert not origin_allowed(scope("https://evil.example.com", host="127.0.0.1:8000"))


def test_behind_a_tls_proxy_the_forwarded_scheme_counts_only_when_trusted(settings):
    behind_nginx = scope("https://chat.example.com", host="chat.example.com")
    behind_nginx["headers"].append((b"x-forwarded-proto", b"https"))
    settings.ALLOWED_HOSTS = ["chat.example.com"]

    assert not origin_allowed(behind_nginx)
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert origin_allowed(behind_nginx)


async def test_a_page_on_another_port_cannot_read_alices_notifications(websocket_connect, alice):
    # The attack: a page served from http://127.0.0.1:8202 opens a socket to the site on
    # http://127.0.0.1:8000 with alice's cookie (cookies are not isolated by port).
    from asgiref.sync import sync_to_async
    from channels.testing import WebsocketCommunicator

    from mysite.asgi import application
    from mysite.testing import login_cookie

    cookie = (await sync_to_async(login_cookie)(alice)).encode()
    results = {}
    for page in ("http://127.0.0.1:8000", "http://127.0.0.1:8202"):
        headers = [(b"host", b"127.0.0.1:8000"), (b"origin", page.encode()), (b"cookie", cookie)]
        socket = WebsocketCommunicator(application, "/ws/notifications/", headers=headers)
        results[page], _ = await socket.connect(timeout=3)
        await socket.disconnect()

    assert results == {"http://127.0.0.1:8000": True, "http://127.0.0.1:8202": False}
