"""Where the learner's browser reaches the workbook's servers (workbook/hosting.py), and what
course_project is told about it."""

import subprocess
import sys

import pytest

from workbook.hosting import HostingError, browser_address, learn_proxied_host
from workbook.paths import REPO_ROOT

HUB = {"JUPYTERHUB_SERVICE_PREFIX": "/user/ada/"}
CODESPACE = {
    "CODESPACES": "true",
    "CODESPACE_NAME": "ada-fluffy-space-xyz",
    "GITHUB_CODESPACES_PORT_FORWARDING_DOMAIN": "app.github.dev",
}


def test_on_the_learners_own_machine_it_is_127_0_0_1():
    address = browser_address(8000, environ={})

    assert address.url("/chat/lobby/") == "http://127.0.0.1:8000/chat/lobby/"
    assert address.local
    assert address.django_environ() == {}  # a plain `make serve` changes nothing


def test_on_a_jupyterhub_it_goes_through_the_proxy_on_the_hubs_origin():
    address = browser_address(41234, environ=HUB)

    assert address.url("/chat/lobby/") == "/user/ada/proxy/41234/chat/lobby/"
    assert address.script_name == "/user/ada/proxy/41234"
    assert address.origin is None  # the kernel cannot see the hub's public address
    assert address.learns_host
    assert address.django_environ() == {"DJANGO_SCRIPT_NAME": "/user/ada/proxy/41234"}


def test_a_hub_that_knows_its_public_address_gives_full_links_and_a_trusted_origin():
    environ = {**HUB, "JUPYTERHUB_PUBLIC_URL": "https://hub.example.org/user/ada/"}
    address = browser_address(41234, environ=environ)

    assert address.url("chat/") == "https://hub.example.org/user/ada/proxy/41234/chat/"
    assert not address.learns_host
    assert address.django_environ() == {
        "DJANGO_SCRIPT_NAME": "/user/ada/proxy/41234",
        "DJANGO_TRUSTED_ORIGINS": "https://hub.example.org",
    }


def test_in_a_codespace_it_is_the_forwarded_port():
    address = browser_address(8000, environ=CODESPACE)

    assert address.url("/game/") == "https://ada-fluffy-space-xyz-8000.app.github.dev/game/"
    assert address.django_environ() == {
        "DJANGO_TRUSTED_ORIGINS": "https://ada-fluffy-space-xyz-8000.app.github.dev"
    }


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        ("/proxy/{port}/", "/proxy/9000/chat/"),
        ("https://lab.example.org/proxy/{port}", "https://lab.example.org/proxy/9000/chat/"),
        ("http://127.0.0.1:{port}/", "http://127.0.0.1:9000/chat/"),
    ],
)
def test_the_setting_says_it_and_wins_over_the_rest(setting, expected):
    environ = {**HUB, **CODESPACE, "WORKBOOK_BROWSER_URL": setting}

    assert browser_address(9000, environ=environ).url("/chat/") == expected


@pytest.mark.parametrize(
    ("setting", "reason"),
    [
        ("https://lab.example.org/proxy/", "has no {port} in it"),
        ("lab.example.org/proxy/{port}/", "neither an http"),
        ("//lab.example.org/proxy/{port}/", "neither an http"),
    ],
)
def test_a_setting_that_cannot_work_says_why(setting, reason):
    with pytest.raises(HostingError, match=reason):
        browser_address(9000, environ={"WORKBOOK_BROWSER_URL": setting})


def test_a_local_origin_is_never_added_as_trusted():
    environ = {"WORKBOOK_BROWSER_URL": "http://localhost:8888/proxy/{port}/"}

    assert browser_address(9000, environ=environ).django_environ() == {
        "DJANGO_SCRIPT_NAME": "/proxy/9000"
    }


# Learning the hub's host name from jupyter-server-proxy's requests.


def http_scope(headers):
    return {"type": "http", "path": "/chat/", "headers": list(headers.items())}


def test_the_host_of_a_request_the_proxy_forwarded_for_this_server_is_learned():
    address = browser_address(41234, environ=HUB)
    allowed = ["127.0.0.1"]
    scope = http_scope(
        {b"host": b"hub.example.org", b"x-forwarded-context": b"/user/ada/proxy/41234"}
    )

    assert learn_proxied_host(scope, address, allowed) == "hub.example.org"
    assert allowed == ["127.0.0.1", "hub.example.org"]
    assert learn_proxied_host(scope, address, allowed) is None  # once


@pytest.mark.parametrize(
    "headers",
    [
        {b"host": b"evil.example"},  # not through the proxy
        {b"host": b"evil.example", b"x-forwarded-context": b"/user/bob/proxy/41234"},
        {b"host": b"evil.example", b"x-forwarded-context": b"/user/ada/proxy/41235"},
    ],
)
def test_other_requests_teach_nothing(headers):
    allowed = ["127.0.0.1"]

    assert learn_proxied_host(http_scope(headers), browser_address(41234, HUB), allowed) is None
    assert allowed == ["127.0.0.1"]


def test_nothing_is_learned_where_the_address_is_known():
    environ = {**HUB, "JUPYTERHUB_PUBLIC_URL": "https://hub.example.org/user/ada/"}
    scope = http_scope({b"host": b"evil.example", b"x-forwarded-context": b"/user/ada/proxy/1"})
    allowed = []

    assert learn_proxied_host(scope, browser_address(1, environ), allowed) is None


# The command `make serve` asks (tools/serve.py).


def serve_command(*args, **environ):
    env = {"PATH": "/usr/bin:/bin", "HOME": "/tmp", **environ}
    return subprocess.run(  # from the repository's root, as make runs it
        [sys.executable, "-m", "tools.serve", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        cwd=REPO_ROOT,
    )


def test_the_command_prints_the_address_and_the_settings_environment():
    environ = {**HUB, "JUPYTERHUB_PUBLIC_URL": "https://hub.example.org/user/ada/"}

    assert serve_command("8001", "chat/", **environ).stdout == (
        "https://hub.example.org/user/ada/proxy/8001/chat/\n"
    )
    assert serve_command("--env", "8001", **environ).stdout.splitlines() == [
        "DJANGO_SCRIPT_NAME=/user/ada/proxy/8001",
        "DJANGO_TRUSTED_ORIGINS=https://hub.example.org",
    ]
    assert serve_command("--env", "8000").stdout == ""  # a plain make serve: nothing


def test_the_command_says_what_to_set_when_the_hubs_address_is_unknown():
    result = serve_command("--env", "8001", **HUB)

    assert result.stdout == "DJANGO_SCRIPT_NAME=/user/ada/proxy/8001\n"
    assert "DJANGO_TRUSTED_ORIGINS=https://<your hub's host>" in result.stderr


@pytest.mark.parametrize(
    ("args", "environ", "message"),
    [
        (["eighty"], {}, "eighty is not a TCP port"),
        (["70000"], {}, "70000 is not a TCP port"),
        (["8000"], {"WORKBOOK_BROWSER_URL": "/proxy/"}, "has no {port} in it"),
    ],
)
def test_a_wrong_argument_or_setting_gets_one_line(args, environ, message):
    result = serve_command(*args, **environ)

    assert result.returncode == 2
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr
