"""How the pages look and behave in a real browser: the notifications page's times and
controls, the layout of buttons and forms, and every page on a phone-sized screen.

Each test saves screenshots of what it checked: into pytest's temporary folder, or into the
folder PAGES_SCREENSHOTS names (`PAGES_SCREENSHOTS=/tmp/shots make test` to look at them).
"""

import os
import re
from datetime import datetime
from itertools import count
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from workbook.processes import start_server

pytestmark = pytest.mark.browser

TIMEOUT = 10_000  # ms: every wait in the browser has an explicit limit
PASSWORD = "channels-demo"
DESKTOP = {"width": 1024, "height": 768}
PHONE = {"width": 360, "height": 740}  # a common Android phone, in CSS pixels
_users = count()


@pytest.fixture(scope="module")
def server():
    with start_server("daphne") as server:
        yield server


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory):
    folder = os.environ.get("PAGES_SCREENSHOTS")
    if not folder:
        return tmp_path_factory.mktemp("screenshots")
    Path(folder).mkdir(parents=True, exist_ok=True)
    return Path(folder)


@pytest.fixture
def new_context(browser):
    """`context = new_context(viewport=..., ...)`: a browser context closed after the test."""
    contexts = []

    def open_context(**options):
        context = browser.new_context(**{"viewport": DESKTOP, "locale": "en-US", **options})
        context.set_default_timeout(TIMEOUT)
        contexts.append(context)
        return context

    yield open_context
    for context in contexts:
        context.close()


def sign_up(context, server):
    """A new user of this test's own, signed up (and so logged in) on `context`'s new page.

    The sign-up form works without JavaScript, so this serves every context. Returns the page
    (on /chat/) and the user's name."""
    username = f"reader{next(_users)}"
    page = context.new_page()
    page.goto(server.url("/accounts/signup/"))
    page.locator("#id_username").fill(username)
    page.locator("#id_password1").fill(PASSWORD)
    page.locator("#id_password2").fill(PASSWORD)
    page.locator("#signup-submit").click()
    page.wait_for_url(server.url("/chat/"))
    return page, username


def open_notifications(page, server):
    """The notifications page. Its socket need not be open yet: a notification made before it
    opens arrives all the same, with the unread ones the socket replays on connect."""
    page.goto(server.url("/notifications/"))
    return page


def zone_away_from_midnight():
    """A time zone that is not UTC and not near midnight now, so every notification made
    during the test falls on "today" there (the page writes the day only for other days)."""
    kolkata = ZoneInfo("Asia/Kolkata")  # UTC+5:30: its minutes differ from UTC's too
    return kolkata if 1 <= datetime.now(kolkata).hour <= 22 else ZoneInfo("America/New_York")


def time_of_day(iso, zone):
    """What Intl's "medium" time style writes in en-US: 4:01:53 PM."""
    local = datetime.fromisoformat(iso).astimezone(zone)
    return f"{local.hour % 12 or 12}:{local:%M:%S} {local:%p}"


def shown_times(page):
    """Each <time> in the list as (its datetime attribute, its text), spaces made plain."""
    times = page.locator("#notification-list time")
    return [
        (time.get_attribute("datetime"), re.sub(r"\s", " ", time.inner_text()))
        for time in times.all()
    ]


def test_server_rendered_and_live_times_share_one_format(new_context, server, screenshots):
    zone = zone_away_from_midnight()
    page, _ = sign_up(new_context(timezone_id=zone.key), server)
    open_notifications(page, server)
    send_test = page.locator("#send-test-notification")
    send_test.click()
    expect(page.locator("#notification-list li")).to_have_count(1)
    open_notifications(page, server)  # now the server renders that one
    send_test.click()  # and this one arrives over the socket: a live item
    expect(page.locator("#notification-list li")).to_have_count(2)

    times = shown_times(page)
    page.screenshot(path=screenshots / "notifications-times.png", full_page=True)
    assert [text for _, text in times] == [time_of_day(iso, zone) for iso, _ in times]


def test_without_javascript_times_say_their_zone(new_context, server, screenshots):
    page, _ = sign_up(new_context(java_script_enabled=False), server)
    page.goto(server.url("/notifications/"))
    page.locator("#send-test-notification").click()  # a plain post, then back to the list
    page.wait_for_url(server.url("/notifications/"))
    page.screenshot(path=screenshots / "notifications-no-javascript.png", full_page=True)
    expect(page.locator("#notification-list time")).to_have_text(
        re.compile(r"^\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d:\d\d UTC$")
    )
    page.get_by_role("button", name="Mark read").click()
    page.wait_for_url(server.url("/notifications/"))
    expect(page.locator("#notification-list li.read")).to_have_count(1)


def test_live_item_has_mark_read_that_works(new_context, server, screenshots):
    page, _ = sign_up(new_context(), server)
    open_notifications(page, server)
    page.evaluate("window.sameDocument = true")
    page.locator("#send-test-notification").click()
    item = page.locator("#notification-list li.unread")
    expect(item).to_have_count(1)
    expect(page.locator("#notification-badge")).to_have_text("1")
    page.screenshot(path=screenshots / "notifications-live-unread.png", full_page=True)

    item.get_by_role("button", name="Mark read").click()
    expect(page.locator("#notification-list li.read")).to_have_count(1)
    expect(page.locator("#notification-list li.unread")).to_have_count(0)
    expect(page.get_by_role("button", name="Mark read")).to_have_count(0)
    expect(page.locator("#notification-badge")).to_be_hidden()
    expect(page.locator("#notification-status")).to_have_text("")
    assert page.evaluate("window.sameDocument") is True  # marked with fetch(): no reload
    page.screenshot(path=screenshots / "notifications-live-read.png", full_page=True)

    page.reload()  # the server agrees: read, so no button
    expect(page.locator("#notification-list li.read")).to_have_count(1)
    expect(page.get_by_role("button", name="Mark read")).to_have_count(0)


def test_action_buttons_sit_side_by_side(new_context, server, screenshots):
    page, _ = sign_up(new_context(), server)
    open_notifications(page, server)
    send = page.locator("#send-test-notification").bounding_box()
    mark_all = page.locator("#mark-all-read").bounding_box()
    page.screenshot(path=screenshots / "notifications-buttons.png")
    assert mark_all["x"] >= send["x"] + send["width"], (send, mark_all)
    assert mark_all["y"] == pytest.approx(send["y"], abs=1), (send, mark_all)


def test_login_boxes_have_one_width(new_context, server, screenshots):
    page = new_context().new_page()
    page.goto(server.url("/accounts/login/"))
    username = page.locator("#id_username").bounding_box()
    password = page.locator("#id_password").bounding_box()
    page.screenshot(path=screenshots / "login.png")
    assert password["width"] == pytest.approx(username["width"], abs=0.5)
    assert password["x"] == pytest.approx(username["x"], abs=0.5)


# Every page a learner opens, on a phone, with text long enough to push a careless layout wider
# than the screen: a room name of the longest kind, and words with no place to break.
LONG_ROOM = "a-room-name-of-the-longest-kind-a-learner-may-pick-in-class-0123"
UNBROKEN = "x" * 300


def test_every_page_fits_a_phone_screen(new_context, server, screenshots):
    context = new_context(viewport=PHONE, is_mobile=True, has_touch=True, device_scale_factor=2)
    page = context.new_page()
    page.goto(server.url("/accounts/login/"))
    check_fits(page, "login", screenshots)
    page.goto(server.url("/accounts/signup/"))
    check_fits(page, "signup", screenshots)

    page, username = sign_up(context, server)
    check_fits(page, "lobby", screenshots)
    page.goto(server.url(f"/chat/{LONG_ROOM}/"))
    expect(page.locator('#chat-log[data-connected="true"]')).to_have_count(1)
    # A classmate in another window mentions this user (a guest's mentions notify no one, see
    # CHAT_GUEST_MENTIONS_PER_MESSAGE): a long message and a long notification.
    classmate, _ = sign_up(new_context(), server)
    classmate.goto(server.url(f"/chat/{LONG_ROOM}/"))
    expect(classmate.locator('#chat-log[data-connected="true"]')).to_have_count(1)
    classmate.locator("#chat-message-input").fill(f"@{username} {UNBROKEN}")
    classmate.locator("#chat-message-input").press("Enter")
    expect(page.locator("#chat-log .text")).to_have_text(f"@{username} {UNBROKEN}")
    check_fits(page, "room", screenshots)

    open_notifications(page, server)
    expect(page.locator("#notification-list li")).to_contain_text(UNBROKEN[:100])  # an excerpt
    check_fits(page, "notifications", screenshots)
    page.goto(server.url("/game/"))
    check_fits(page, "game-lobby", screenshots)
    page.goto(server.url(f"/game/{LONG_ROOM}/"))
    expect(page.locator("#game-you")).not_to_have_text("")
    check_fits(page, "game", screenshots)


def check_fits(page, name, screenshots):
    page.screenshot(path=screenshots / f"phone-{name}.png", full_page=True)
    # The viewport meta tag is honoured (the page is not laid out 980 px wide and shrunk), and
    # nothing is wider than the screen: no sideways scrolling.
    width = page.evaluate("window.innerWidth")
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    assert width == PHONE["width"], f"{name}: laid out {width} px wide on a phone"
    assert scroll_width <= width, f"{name}: {scroll_width} px wide on a {width} px screen"
