"""Background work across processes: a daphne server, a `manage.py runworker chat-transcripts`
process and a real Redis between them, the two processes sharing one database."""

import asyncio
import re

import httpx
import pytest
from channels_redis.core import RedisChannelLayer
from playwright.sync_api import expect

from workbook.clients import connect, login
from workbook.processes import start_redis, start_server, start_worker

pytestmark = pytest.mark.redis

CHANNEL = "chat-transcripts"
TIMEOUT = 15  # seconds: the worker's first request also imports and connects everything
CSRF_INPUT = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture(scope="module")
def stack(redis_server):
    env = {"REDIS_URL": redis_server.url}
    with (
        start_server("daphne", env=env) as server,
        start_worker(CHANNEL, db_path=server.db_path, env=env) as worker,
    ):
        server.manage("create_demo_users")
        yield server, worker


def browser_like(server, cookie):
    """An HTTP client holding a login session (from `login()`), as a browser would."""
    name, value = cookie.split("=", 1)
    return httpx.AsyncClient(
        base_url=server.origin, cookies={name: value}, timeout=TIMEOUT, trust_env=False
    )


async def write_messages(server, cookie, room, *texts):
    """Chat in the room, and return once the server has stored every message."""
    async with await connect(server, f"/ws/chat/{room}/", cookie=cookie) as chat:
        for number, text in enumerate(texts):
            await chat.send_json({"message": text, "id": f"m{number}"})
            # The acknowledgement comes once the message is stored.
            await chat.expect({"ack": f"m{number}"}, timeout=TIMEOUT)


async def export(http, room):
    """Press the room page's "Export transcript" button: its form's CSRF token, then POST."""
    page = await http.get(f"/chat/{room}/")
    page.raise_for_status()
    token = CSRF_INPUT.search(page.text)[1]
    return await http.post(
        f"/chat/{room}/transcript/",
        data={"csrfmiddlewaretoken": token},
        headers={"Accept": "application/json"},
    )


async def export_and_wait_for_notification(server, cookie, room):
    async with (
        await connect(server, "/ws/notifications/", cookie=cookie) as feed,
        browser_like(server, cookie) as http,
    ):
        await feed.expect({"type": "unread"}, timeout=TIMEOUT)  # the backlog is over
        response = await export(http, room)
        assert response.status_code == 202, response.text
        assert response.json()["status"] == "queued"
        return await feed.expect({"type": "notification"}, timeout=TIMEOUT)


async def test_the_worker_writes_the_transcript_and_notifies_the_user(stack):
    server, _ = stack
    alice = await login(server, "alice", "channels-demo")
    await write_messages(server, alice, "worker-room", "first line", "second line")

    notification = await export_and_wait_for_notification(server, alice, "worker-room")

    assert notification["message"] == "Your transcript of #worker-room is ready: 2 messages."
    assert re.fullmatch(r"/transcripts/\d+/", notification["link"])
    async with browser_like(server, alice) as http:
        download = await http.get(notification["link"])
    assert download.status_code == 200
    assert download.headers["content-type"] == "text/plain; charset=utf-8"
    assert download.headers["content-disposition"].startswith(
        'attachment; filename="transcript-worker-room-'
    )
    lines = download.text.splitlines()
    assert lines[0] == "Transcript of #worker-room"
    assert lines[-2].endswith("] alice: first line")
    assert lines[-1].endswith("] alice: second line")

    bob = await login(server, "bob", "channels-demo")
    async with browser_like(server, bob) as http:
        assert (await http.get(notification["link"])).status_code == 404


async def test_the_worker_drops_bad_requests_and_serves_the_next(stack, redis_server):
    server, worker = stack
    layer = RedisChannelLayer(hosts=[redis_server.url])
    try:
        # Anything that reaches Redis can send to the channel: none of these may stop the worker.
        for bad in [
            {"type": "transcript.export", "room": "no such room", "user_id": 1},
            {"type": "transcript.export", "room": "worker-room", "user_id": 999_999},
            {"type": "transcript.export", "room": "worker-room", "user_id": "1"},
            {"type": "transcript.shred"},
        ]:
            await layer.send(CHANNEL, bad)
    finally:
        await layer.close_pools()
    carol = await login(server, "carol", "channels-demo")
    await write_messages(server, carol, "after-bad-requests", "still working")

    notification = await export_and_wait_for_notification(server, carol, "after-bad-requests")

    assert notification["message"].startswith("Your transcript of #after-bad-requests is ready")
    assert worker.running, worker.tail()


@pytest.mark.browser
def test_the_room_pages_button_brings_the_download_link(stack, browser):
    server, _ = stack
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT * 1000)
    try:
        page = context.new_page()
        page.goto(server.url("/accounts/login/?next=/chat/button-room/"))
        page.locator("#id_username").fill("bob")
        page.locator("#id_password").fill("channels-demo")
        page.locator("#login-submit").click()
        page.wait_for_url(server.url("/chat/button-room/"))
        page.locator("#chat-message-input").fill("exported from the page")
        page.locator("#chat-message-input").press("Enter")
        # Shown once the server has stored it (nothing is shown before); a reload replays it.
        expect(page.locator("#chat-log")).to_contain_text("exported from the page")
        page.reload()
        expect(page.locator("#chat-log .history .text")).to_have_text(["exported from the page"])

        page.locator("#transcript-export").click()

        status = page.locator("#transcript-status")
        expect(status).to_contain_text(
            "Your transcript of #button-room is ready: 1 message.", timeout=TIMEOUT * 1000
        )
        with page.expect_download() as download:
            status.get_by_role("link", name="Download").click()
        assert download.value.suggested_filename.startswith("transcript-button-room-")
        assert "bob: exported from the page" in download.value.path().read_text()
    finally:
        context.close()


@pytest.mark.slow
async def test_the_worker_waits_out_a_redis_outage_and_carries_on():
    redis = start_redis()  # one of its own: this test stops it
    env = {"REDIS_URL": redis.url}
    try:
        with (
            start_server("daphne", env=env) as server,
            start_worker(CHANNEL, db_path=server.db_path, env=env) as worker,
        ):
            server.manage("create_demo_users")
            alice = await login(server, "alice", "channels-demo")
            await write_messages(server, alice, "outage-room", "said before the outage")

            redis.stop()
            # Long enough for the worker's blocking read to fail and for it to start waiting.
            await asyncio.sleep(2)
            assert worker.running, worker.tail()
            redis = start_redis(port=redis.port)  # back, and empty, like a restart

            notification = await export_and_wait_for_notification(server, alice, "outage-room")

            assert notification["message"] == "Your transcript of #outage-room is ready: 1 message."
            assert worker.running, worker.tail()
    finally:
        redis.stop()
