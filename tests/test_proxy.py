"""The lessons' live pages through Jupyter's proxy, as a class on a JupyterHub or Binder sees them.

A Jupyter server runs the way a hub runs a learner's: under /user/ada/, behind a token, with
jupyter-server-proxy. A notebook kernel runs with the variable the hub gives it
(JUPYTERHUB_SERVICE_PREFIX), starts the in-kernel server and shows the lessons' links. Chromium
reaches the Jupyter server by a host name the kernel has never heard of, as a learner's browser
reaches a hub, logs in with the token, and opens those links: pages, static files, the login form
and the sockets all go through <prefix>proxy/<port>/.
"""

import contextlib
import json
import os
import queue
import re
import secrets
import sys
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

import pytest
from playwright.sync_api import expect, sync_playwright

from workbook.browser import chromium_args
from workbook.paths import REPO_ROOT
from workbook.processes import ManagedProcess

pytestmark = pytest.mark.browser

NOTEBOOKS = REPO_ROOT / "notebooks"
HUB_PREFIX = "/user/ada/"
HUB_HOST = "hub.test"  # Chromium resolves it to 127.0.0.1; nothing else knows it
TOKEN = secrets.token_hex(16)
TIMEOUT = 10_000  # ms: every wait in the browser has an explicit limit
CELL_TIMEOUT = 60  # s
# A single-user server as a hub starts one, with nothing loaded but the proxy (quicker to start).
SERVER_EXTENSIONS = (
    '--ServerApp.jpserver_extensions={"jupyter_server_proxy": True, "jupyterlab": False, '
    '"jupyter_lsp": False, "notebook_shim": False, "jupyter_server_terminals": False}'
)
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def start_jupyter(root_dir):
    args = [
        sys.executable,
        "-m",
        "jupyter_server",
        f"--IdentityProvider.token={TOKEN}",
        "--ServerApp.ip=127.0.0.1",
        "--ServerApp.port=0",
        f"--ServerApp.base_url={HUB_PREFIX}",
        # The browser asks for hub.test, as it would for the hub's name: a hub allows that too.
        "--ServerApp.allow_remote_access=True",
        f"--ServerApp.root_dir={root_dir}",
        "--no-browser",
        SERVER_EXTENSIONS,
        *(["--allow-root"] if os.geteuid() == 0 else []),
    ]
    ready = rf"http://127\.0\.0\.1:(?P<port>\d+){HUB_PREFIX}"
    return ManagedProcess(args, ready=ready, name="jupyter-server").start(timeout=90)


class Kernel:
    """A notebook kernel with the environment a hub gives one, running cells as a notebook does."""

    def __init__(self):
        from jupyter_client.manager import start_new_kernel

        env = {**os.environ, "JUPYTERHUB_SERVICE_PREFIX": HUB_PREFIX}
        env.pop("WORKBOOK_BROWSER_URL", None)  # the test suite pins 127.0.0.1 links otherwise
        self.manager, self.client = start_new_kernel(
            kernel_name="python3", env=env, cwd=str(NOTEBOOKS), startup_timeout=90
        )

    def run(self, code, timeout=CELL_TIMEOUT):
        """Run `code` as a cell; its outputs as (mime type or "stream", text). An error fails."""
        msg_id = self.client.execute(code)
        outputs = []
        while True:
            try:
                message = self.client.get_iopub_msg(timeout=timeout)
            except queue.Empty:
                raise TimeoutError(f"the cell did not finish within {timeout} s:\n{code}") from None
            if message["parent_header"].get("msg_id") != msg_id:
                continue
            kind, content = message["msg_type"], message["content"]
            if kind == "stream":
                outputs.append(("stream", content["text"]))
            elif kind in {"display_data", "execute_result"}:
                outputs.extend(content["data"].items())
            elif kind == "error":
                traceback = ANSI.sub("", "\n".join(content["traceback"]))
                raise AssertionError(f"the cell failed:\n{code}\n{traceback}")
            elif kind == "status" and content["execution_state"] == "idle":
                return outputs

    def printed(self, code):
        return "".join(text for kind, text in self.run(code) if kind == "stream")

    def stop(self):
        self.client.stop_channels()
        # Asked first, as JupyterLab does: a killed kernel never runs its exit handlers, which
        # stop its server and remove its database folder.
        self.manager.shutdown_kernel()


@pytest.fixture(scope="module")
def hub(jupyter_server_proxy, tmp_path_factory):
    """(Jupyter server, kernel with the in-kernel server, its port), started side by side."""
    with contextlib.ExitStack() as stack, ThreadPoolExecutor(2) as pool:
        jupyter = pool.submit(start_jupyter, tmp_path_factory.mktemp("hub"))
        kernel = pool.submit(Kernel)
        # Whichever started is stopped at the end, also when the other did not start.
        for started, stop in [(jupyter, "stop"), (kernel, "stop")]:
            stack.callback(lambda started=started, stop=stop: _stop(started, stop))
        jupyter, kernel = jupyter.result(), kernel.result()
        port = int(kernel.printed("from workbook import live_server\nprint(live_server().port)"))
        yield jupyter, kernel, port


def _stop(future, method):
    if future.done() and future.exception() is None:
        getattr(future.result(), method)()


@pytest.fixture(scope="module")
def chromium(chromium_executable):
    expect.set_options(timeout=TIMEOUT)  # expect()'s own 5 s is short on a loaded 2-core machine
    with sync_playwright() as playwright:
        args = chromium_args(f"--host-resolver-rules=MAP {HUB_HOST} 127.0.0.1")
        browser = playwright.chromium.launch(executable_path=chromium_executable, args=args)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context()
    context.set_default_timeout(TIMEOUT)
    yield context.new_page()
    context.close()


def hub_url(jupyter, path):
    """`path` on the Jupyter server, as the learner's browser asks for it: by the hub's name."""
    return f"http://{HUB_HOST}:{jupyter.ready_match['port']}{path}"


def log_in_through_the_hub(page, jupyter, port, then, username, password):
    """Jupyter's token login, then the course's own login form, ending on the page `then`.

    The form is posted through the proxy (CSRF checks the origin), and its redirect comes back
    under the prefix."""
    login = f"{HUB_PREFIX}proxy/{port}/accounts/login/?next={then}"
    page.goto(hub_url(jupyter, f"{HUB_PREFIX}login?next={quote(login)}"))
    page.locator("#password_input").fill(TOKEN)
    page.locator("#login_submit").click()
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill(password)
    page.locator("#login-submit").click()
    page.wait_for_url(hub_url(jupyter, then))


def link_cells():
    """(notebook, cell source) of every lesson and exercise cell that shows a link to a page."""
    for folder in (NOTEBOOKS, REPO_ROOT / "exercises"):
        for path in sorted(folder.glob("[0-9][0-9]-*.ipynb")):
            for cell in json.loads(path.read_text())["cells"]:
                source = "".join(cell["source"])
                if cell["cell_type"] == "code" and "browser_url(" in source:
                    yield f"{folder.name}/{path.stem}", source


def shown_links(outputs):
    text = "".join(value for kind, value in outputs if kind in {"text/markdown", "text/plain"})
    return re.findall(r"\]\(([^)]+)\)|'([^']+)'", text), text


def test_lesson_links_point_through_the_proxy_on_a_hub(hub):
    _, kernel, port = hub
    kernel.run("from workbook import live_server\n\nserver = live_server()")
    shown = {}
    for notebook, source in link_cells():
        found, text = shown_links(kernel.run(source))
        links = [markdown or plain for markdown, plain in found]
        assert links, f"{notebook}: no link in what the cell shows: {text!r}"
        assert "127.0.0.1" not in text, f"{notebook} shows a link to the kernel's machine"
        for link in links:
            assert link.startswith(f"{HUB_PREFIX}proxy/{port}/"), f"{notebook}: {link}"
        shown[notebook] = links

    # Every lesson and exercise that sends the learner to a page does it through browser_url().
    lessons = ["00-start-here", "05-chat-rooms", "08-notifications", "17-capstone"]
    expected = {*(f"notebooks/{name}" for name in lessons), "exercises/05-chat-rooms"}
    assert expected <= set(shown), sorted(shown)


def test_the_game_through_the_proxy_with_a_login_and_a_notebook_player(hub, page, tmp_path):
    jupyter, kernel, port = hub
    kernel.run(
        "from workbook import connect, create_user, live_server\n\n"
        "server = live_server()\n"
        'create_user("alice", "wonderland-42")\n'
        'create_user("bob", "builder-42")'
    )
    game = f"{HUB_PREFIX}proxy/{port}/game/"
    assert kernel.printed('print(server.browser_url("/game/"))').strip() == game

    log_in_through_the_hub(page, jupyter, port, game, "alice", "wonderland-42")
    expect(page.locator(".who")).to_have_text("alice")
    assert "accepting hub.test" in kernel.printed("print(server.log)")

    # The room page: its stylesheet and script came through the proxy, and so does its socket.
    page.locator("#game-room-input").fill("proxied")
    page.locator("#game-room-submit").click()
    page.wait_for_url(hub_url(jupyter, f"{game}proxied/"))
    expect(page.locator("#game-you")).to_have_text("You are watching.")
    page.locator("#game-join").click()
    expect(page.locator("#game-you")).to_have_text("You play X.")

    # A player in the notebook, on the kernel's own side of the proxy.
    kernel.run(
        'bob = await connect(server, "/ws/game/proxied/", user="bob")\n'
        "await bob.receive(timeout=10)\n"
        'await bob.send_json({"join": True})\n'
        'await bob.expect(lambda state: state.get("you") == "O", timeout=10)'
    )
    page.locator('#game-board .cell[data-cell="0"]').click()  # browser → notebook
    moved = 'state = await bob.expect(lambda state: state["board"][0] == "X", timeout=10)'
    assert kernel.printed(f'{moved}\nprint(state["turn"])').strip() == "O"
    kernel.run('await bob.send_json({"move": 4})')  # notebook → browser
    expect(page.locator('#game-board .cell[data-cell="4"]')).to_have_text("O")
    expect(page.locator("#game-player-x")).to_have_text("alice")
    expect(page.locator("#game-player-o")).to_have_text("bob")
    page.screenshot(path=tmp_path / "game-through-jupyter-proxy.png")
    kernel.run("await bob.close()")


def test_the_chat_and_the_badge_through_the_proxy_with_a_notebook_client(hub, page, tmp_path):
    jupyter, kernel, port = hub
    kernel.run(
        "from workbook import connect, create_user, live_server\n\n"
        "server = live_server()\n"
        'create_user("carol", "carol-sings-42")\n'
        'create_user("dave", "dave-drums-42")'
    )
    room = f"{HUB_PREFIX}proxy/{port}/chat/proxied/"
    log_in_through_the_hub(page, jupyter, port, room, "carol", "carol-sings-42")
    # room.js and badge.js opened their sockets under the prefix: both are live.
    expect(page.locator("#chat-status")).to_have_text("")

    kernel.run('dave = await connect(server, "/ws/chat/proxied/", user="dave")')
    page.locator("#chat-message-input").fill("hello from the browser")
    page.locator("#chat-message-submit").click()  # browser → notebook
    said = 'said = await dave.expect(lambda m: m.get("message") == "hello from the browser")'
    assert kernel.printed(f'{said}\nprint(said["user"])').strip() == "carol"

    kernel.run('await dave.send_json({"message": "hi @carol, from the notebook"})')
    log = page.locator("#chat-log")
    expect(log).to_contain_text("hi @carol, from the notebook")  # notebook → browser
    # The mention became a notification, pushed to the badge over its own proxied socket.
    expect(page.locator("#notification-badge")).to_have_text("1")
    expect(page.locator("#notification-badge")).to_be_visible()
    page.screenshot(path=tmp_path / "chat-through-jupyter-proxy.png")
    kernel.run("await dave.close()")
