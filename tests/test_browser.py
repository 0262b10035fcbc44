"""The chat and notification pages in a real browser against a real daphne process.

The first two tests are the official Channels tutorial's part 4 tests, in pytest and Playwright.
"""

import re

import pytest
from playwright.sync_api import expect

from workbook.processes import start_server

pytestmark = pytest.mark.browser

TIMEOUT = 10_000  # ms: every wait in the browser has an explicit limit


@pytest.fixture(scope="module")
def server():
    with start_server("daphne") as server:
        server.manage("create_demo_users")
        yield server


@pytest.fixture
def context(browser):
    context = browser.new_context()
    context.set_default_timeout(TIMEOUT)
    yield context
    context.close()


def open_room(context, server, room):
    """The room page, once its socket is open (and so in the room's group)."""
    page = context.new_page()
    page.goto(server.url(f"/chat/{room}/"))
    expect(page.locator('#chat-log[data-connected="true"]')).to_have_count(1)
    return page


def send(page, text):
    page.locator("#chat-message-input").fill(text)
    page.locator("#chat-message-input").press("Enter")


def log_in(context, server, username):
    page = context.new_page()
    page.goto(server.url("/accounts/login/"))
    page.locator("#id_username").fill(username)
    page.locator("#id_password").fill("channels-demo")
    page.locator("#login-submit").click()
    page.wait_for_url(server.url("/chat/"))
    return page


def test_room_chooser_enters_the_room(context, server):
    page = context.new_page()
    page.goto(server.url("/chat/"))
    page.locator("#room-name-input").fill("chooser")
    page.locator("#room-name-input").press("Enter")
    page.wait_for_url(server.url("/chat/chooser/"))


def test_when_chat_message_posted_then_seen_by_everyone_in_same_room(context, server):
    first = open_room(context, server, "same_room")
    second = open_room(context, server, "same_room")
    send(first, "hello from the first window")
    expect(first.locator("#chat-log")).to_contain_text("hello from the first window")
    expect(second.locator("#chat-log")).to_contain_text("hello from the first window")
    expect(second.locator("#chat-log .meta").first).to_contain_text("anonymous")


def test_when_chat_message_posted_then_not_seen_by_anyone_in_different_room(context, server):
    first = open_room(context, server, "room_one")
    other = open_room(context, server, "room_two")
    send(first, "only for room one")
    expect(first.locator("#chat-log")).to_contain_text("only for room one")
    # The other room's page sends a message of its own; once that arrives, anything for
    # room one would have arrived before it on the same socket.
    send(other, "marker in room two")
    expect(other.locator("#chat-log")).to_contain_text("marker in room two")
    expect(other.locator("#chat-log")).not_to_contain_text("only for room one")


def test_a_refused_message_goes_back_into_the_message_box(context, server):
    page = open_room(context, server, "refused")
    box = page.locator("#chat-message-input")
    # Typing stops at the box's maxlength; a script (or an old page) can still send more.
    too_long = "x" * 2001
    box.evaluate("(input, text) => { input.value = text; }", too_long)
    box.press("Enter")
    expect(page.locator("#chat-status")).to_contain_text("message too long")
    expect(box).to_have_value(too_long)
    expect(page.locator("#chat-outbox li")).to_have_count(0)
    expect(page.locator("#chat-log li")).to_have_count(0)


def test_a_message_typed_while_disconnected_waits_and_goes_once(context, server):
    page = context.new_page()
    connected = []  # empty: every socket the page opens is cut at once, as with no network

    def network(route):
        if connected:
            route.connect_to_server()
        else:
            route.close()

    page.route_web_socket(re.compile(r".*/ws/chat/.*"), network)
    page.goto(server.url("/chat/outbox/"))
    expect(page.locator('#chat-log[data-connected="false"]')).to_have_count(1)
    send(page, "typed while disconnected")
    expect(page.locator("#chat-outbox li.pending")).to_have_text(["typed while disconnected"])

    connected.append(True)

    # The page retries after random waits of up to a few seconds by now.
    log = page.locator("#chat-log li .text")
    expect(log).to_have_text(["typed while disconnected"], timeout=30_000)
    expect(page.locator("#chat-outbox li")).to_have_count(0)
    page.reload()  # stored once
    expect(log).to_have_text(["typed while disconnected"])


def test_html_in_a_message_shows_as_text_and_never_runs(context, server):
    page = open_room(context, server, "xss")
    payload = '<img src=x onerror="window.pwned=1"><script>window.pwned=2</script><b>bold</b>'
    send(page, payload)
    expect(page.locator("#chat-log .text").last).to_have_text(payload)
    assert page.locator("#chat-log img, #chat-log script, #chat-log b").count() == 0
    assert page.evaluate("window.pwned") is None
    # History is rendered the same way: reload and check again.
    page.reload()
    expect(page.locator("#chat-log .history .text").last).to_have_text(payload)
    assert page.evaluate("window.pwned") is None


def test_notification_badge_updates_live_on_a_mention(browser, server):
    alice = browser.new_context()
    bob = browser.new_context()
    try:
        for ctx in (alice, bob):
            ctx.set_default_timeout(TIMEOUT)
        alice_page = log_in(alice, server, "alice")
        alice_page.goto(server.url("/chat/"))
        badge = alice_page.locator("#notification-badge")
        expect(badge).to_be_hidden()
        log_in(bob, server, "bob")
        bob_page = open_room(bob, server, "mentions")
        send(bob_page, "@alice are you there?")
        expect(badge).to_have_text("1")
        expect(badge).to_be_visible()
    finally:
        alice.close()
        bob.close()


def test_test_notification_button_updates_list_and_badge_without_reload(context, server):
    page = log_in(context, server, "carol")
    page.goto(server.url("/notifications/"))
    page.evaluate("window.sameDocument = true")
    page.locator("#send-test-notification").click()
    expect(page.locator("#notification-list li.unread").first).to_contain_text("test notification")
    expect(page.locator("#notification-badge")).to_have_text("1")
    assert page.evaluate("window.sameDocument") is True  # no reload: it arrived over the socket
