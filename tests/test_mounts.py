"""The mount table builds its sockets with the project's own factory, mysite.asgi's
websocket_application(): a mounted consumer is checked and authenticated exactly as the project's
are, and a middleware added to that factory applies to mounted consumers too.

Called directly with Channels' WebsocketCommunicator: no server, no network.
"""

import pytest
from asgiref.sync import sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.testing import WebsocketCommunicator

from workbook.mounts import MountTable

HOST = (b"host", b"127.0.0.1")
ORIGIN = (b"origin", b"http://127.0.0.1")
TIMEOUT = 3

pytestmark = pytest.mark.django_db(transaction=True)


class WhoAmI(AsyncJsonWebsocketConsumer):
    """Says who the scope's user is, and what the Tagged middleware wrote, if it ran."""

    async def connect(self):
        await self.accept()
        await self.send_json({"user": str(self.scope["user"]), "tag": self.scope.get("tag")})


class Tagged:
    """A middleware a project might add to its stack: notes each path, and tags the scope."""

    def __init__(self, app, paths):
        self.app = app
        self.paths = paths

    async def __call__(self, scope, receive, send):
        self.paths.append(scope["path"])
        return await self.app(dict(scope, tag="tagged"), receive, send)


async def open_socket(application, path, headers=()):
    """(accepted?, first message) of a socket on `application`; closed again before returning."""
    communicator = WebsocketCommunicator(application, path, headers=list(headers))
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    first = await communicator.receive_json_from(timeout=TIMEOUT) if connected else None
    await communicator.disconnect(timeout=TIMEOUT)
    return connected, first


async def test_a_mounted_consumer_gets_the_projects_origin_check_and_users(django_user_model):
    from accounts.tokens import make_token
    from mysite.testing import login_cookie

    table = MountTable()
    table.mount("ws/whoami/", WhoAmI)
    ada = await django_user_model.objects.acreate(username="ada")
    cookie = (b"cookie", (await sync_to_async(login_cookie)(ada)).encode())
    token = (b"authorization", f"Bearer {make_token(ada)}".encode())

    assert await open_socket(table, "/ws/whoami/") == (False, None)  # no Origin header
    foreign = (b"origin", b"http://evil.example")
    assert await open_socket(table, "/ws/whoami/", [foreign, cookie]) == (False, None)
    assert await open_socket(table, "/ws/whoami/", [HOST, ORIGIN]) == (
        True,
        {"user": "AnonymousUser", "tag": None},
    )
    for credentials in (cookie, token):
        _, first = await open_socket(table, "/ws/whoami/", [HOST, ORIGIN, credentials])
        assert first["user"] == "ada"


async def test_a_middleware_added_to_the_factory_applies_to_mounts_and_project_routes(
    monkeypatch,
):
    from mysite import asgi

    project_stack = asgi.websocket_application
    paths = []
    monkeypatch.setattr(
        asgi, "websocket_application", lambda router: Tagged(project_stack(router), paths)
    )
    table = MountTable()
    table.mount("ws/whoami/", WhoAmI)

    assert await open_socket(table, "/ws/whoami/", [HOST, ORIGIN]) == (
        True,
        {"user": "AnonymousUser", "tag": "tagged"},
    )
    # The project's routes sit behind the same stack, and work: the chat answers a bad frame.
    communicator = WebsocketCommunicator(table, "/ws/chat/mounts-test/", headers=[HOST, ORIGIN])
    connected, _ = await communicator.connect(timeout=TIMEOUT)
    assert connected
    await communicator.send_json_to({})
    assert "error" in await communicator.receive_json_from(timeout=TIMEOUT)
    await communicator.disconnect(timeout=TIMEOUT)
    assert paths == ["/ws/whoami/", "/ws/chat/mounts-test/"]


# Under a proxy's path prefix (FORCE_SCRIPT_NAME), as on a JupyterHub: jupyter-server-proxy strips
# /user/<name>/proxy/<port> before passing a request on; other proxies pass the whole path.

PREFIX = "/user/ada/proxy/8000"


@pytest.fixture
def under_prefix(settings):
    settings.FORCE_SCRIPT_NAME = PREFIX


@pytest.mark.parametrize("path", ["/ws/whoami/", f"{PREFIX}/ws/whoami/"])
async def test_mounted_consumers_are_found_under_a_prefix(under_prefix, path):
    table = MountTable()
    table.mount("ws/whoami/", WhoAmI)

    assert await open_socket(table, path, [HOST, ORIGIN]) == (
        True,
        {"user": "AnonymousUser", "tag": None},
    )


def where_am_i(request):
    from django.http import JsonResponse
    from django.urls import reverse

    return JsonResponse({"path": request.path, "info": request.path_info, "here": reverse("here")})


@pytest.mark.parametrize("path", ["/views/here/", f"{PREFIX}/views/here/"])
async def test_a_mounted_views_app_sees_its_mount_point_under_the_prefix(under_prefix, path):
    from channels.testing import HttpCommunicator
    from django.urls import path as route

    from workbook.views import views_app

    table = MountTable()
    table.mount_http("views/", views_app([route("here/", where_am_i, name="here")]))

    host = [(b"host", b"127.0.0.1")]
    response = await HttpCommunicator(table, "GET", path, headers=host).get_response(TIMEOUT)

    assert response["status"] == 200
    assert response["body"] == (
        b'{"path": "%s/views/here/", "info": "/here/", "here": "%s/views/here/"}'
        % (PREFIX.encode(), PREFIX.encode())
    )
