"""In a real browser: a new in-app notification reaches the header's bell and the inbox, and is marked read;
the preferences page saves a choice. Screenshots (English and Arabic) in artifacts/screenshots/inbox/."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Notification
from accounts.services.delivery import notifications_deliver
from accounts.services.notifications import notifications_create
from accounts.tests.factories import UserFactory
from core.tests.browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def inbox_screenshots(screenshot_dir):
    path = screenshot_dir / "inbox"
    path.mkdir(parents=True, exist_ok=True)
    return path


def notify(user, title: str, body: str = "", *, read_days_ago: int | None = None) -> Notification:
    """Queues an in-app notification for ``user`` and has the delivery job show it in their inbox."""
    notifications_create(users=[user], title=title, body=body)
    notification = Notification.objects.filter(user=user).latest("pk")
    notifications_deliver(ids=[notification.pk])
    if read_days_ago is not None:
        moment = timezone.now() - timedelta(days=read_days_ago)
        Notification.objects.filter(pk=notification.pk).update(created_at=moment, read_at=moment)
    notification.refresh_from_db()
    return notification


def test_a_new_notification_shows_on_the_bell_and_in_the_inbox_and_is_marked_read(page, live_server, inbox_screenshots):
    # given a signed-in staff member with two older notifications, both read
    user = UserFactory(is_staff=True, email="nadia@example.com", full_name="Nadia Haddad", phone="+14155550123")
    notify(user, "Role ADMIN granted to you", "Granted by Omar Farouk.", read_days_ago=3)
    notify(user, "SUP-000142 was assigned to you", "Invoice shows the wrong amount", read_days_ago=1)
    sign_in(page, live_server, user.email)
    page.wait_for_url(f"{live_server.url}/")
    bell = page.locator("a.shell-inbox")
    assert bell.get_attribute("aria-label") == "Notifications"
    assert page.locator(".shell-inbox-count").count() == 0

    # when a new notification is delivered in the app
    notify(user, "Refund of 120.00 USD needs your approval", "Payment P-2291 for a session on 3 March.\nAsked by Lina.")
    page.reload()

    # then the bell counts it, on this page and in its label
    assert page.inner_text(".shell-inbox-count") == "1"
    assert bell.get_attribute("aria-label") == "Notifications: 1 unread"
    page.locator("#header").screenshot(path=inbox_screenshots / "header-badge.png")

    # when they open the inbox from the bell
    bell.click()
    page.wait_for_url(f"{live_server.url}/account/notifications/")

    # then it is listed first, unread, with its lines kept
    items = page.locator("li.inbox-item")
    assert items.count() == 3
    newest = items.first
    assert "unread" in newest.get_attribute("class")
    assert "Refund of 120.00 USD needs your approval" in newest.inner_text()
    assert newest.locator(".inbox-body br").count() == 1
    page.screenshot(path=inbox_screenshots / "inbox.png", full_page=True)

    # when they mark it read
    newest.get_by_role("button", name="Mark as read").click()
    page.wait_for_load_state()

    # then the bell shows no number and nothing is unread
    assert page.locator(".shell-inbox-count").count() == 0
    assert page.locator("li.inbox-item.unread").count() == 0
    assert page.locator("a.shell-inbox").get_attribute("aria-label") == "Notifications"
    assert Notification.objects.get(title__startswith="Refund of 120.00").read_at is not None
    page.screenshot(path=inbox_screenshots / "inbox-all-read.png", full_page=True)


def test_the_preferences_page_saves_a_choice(page, live_server, inbox_screenshots):
    # given a staff member on their preferences page
    user = UserFactory(is_staff=True, email="omar@example.com", full_name="Omar Farouk", phone="+14155550199")
    sign_in(page, live_server, user.email)
    page.wait_for_url(f"{live_server.url}/")
    page.goto(f"{live_server.url}/account/notifications/preferences/")
    assert page.locator("#id_in_app").is_disabled()
    page.screenshot(path=inbox_screenshots / "preferences.png", full_page=True)

    # when they switch SMS off and save
    page.get_by_label("SMS").click()
    page.get_by_role("button", name="Save preferences").click()
    page.wait_for_load_state()

    # then the page says so and shows SMS off
    assert "Your notification preferences are saved." in page.inner_text("ul.messagelist")
    assert not page.locator("#id_sms").is_checked()
    assert page.locator("#id_email").is_checked()
    page.screenshot(path=inbox_screenshots / "preferences-saved.png", full_page=True)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_pages_in_arabic_right_to_left(browser, live_server, inbox_screenshots, scheme):
    # given a staff member reading in Arabic, with one unread notification among read ones
    user = UserFactory(is_staff=True, email="lina@example.com", full_name="Lina Saleh", phone="")
    notify(user, "Role ADMIN granted to you", "Granted by Omar Farouk.", read_days_ago=2)
    notify(user, "Refund of 120.00 USD needs your approval", "Payment P-2291.\nAsked by Lina.")
    context = browser.new_context(viewport={"width": 1400, "height": 900}, color_scheme=scheme, locale="ar")
    context.add_cookies([{"name": "django_language", "value": "ar", "url": live_server.url}])
    page = context.new_page()
    try:
        sign_in(page, live_server, user.email)
        page.wait_for_url(f"{live_server.url}/")

        # when they open the inbox and the preferences
        page.goto(f"{live_server.url}/account/notifications/")

        # then the pages run right to left, the bell counting the unread one
        assert page.evaluate("document.documentElement.dir") == "rtl"
        assert page.inner_text(".shell-inbox-count") == "1"
        page.screenshot(path=inbox_screenshots / f"inbox-ar-{scheme}.png", full_page=True)
        page.goto(f"{live_server.url}/account/notifications/preferences/")
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        page.screenshot(path=inbox_screenshots / f"preferences-ar-{scheme}.png", full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.goto(f"{live_server.url}/account/notifications/")
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        page.screenshot(path=inbox_screenshots / f"inbox-ar-{scheme}-phone.png", full_page=True)
    finally:
        context.close()


def test_a_client_reads_their_notifications_in_the_help_center(page, live_server, inbox_screenshots):
    # given a client with a reply notification unread and an older one read
    client = UserFactory(is_staff=False, email="sara@example.com", full_name="Sara Nasser", phone="+14155550111")
    notify(client, "New reply on your ticket SUP-000031", "Invoice shows the wrong amount", read_days_ago=4)
    notify(client, "New reply on your ticket SUP-000042", "Cannot download my feasibility study")
    page.goto(f"{live_server.url}/help/sign-in/")
    page.fill("#id_username", client.email)
    page.fill("#id_password", "correct-horse-battery-staple")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.url}/help/")

    # when they follow the bell, which counts one
    assert page.inner_text(".help-inbox-count") == "1"
    page.click("a.help-inbox")
    page.wait_for_url(f"{live_server.url}/help/notifications/")
    page.screenshot(path=inbox_screenshots / "help-inbox.png", full_page=True)

    # then marking the new one read leaves the bell without a number
    page.get_by_role("button", name="Mark as read").click()
    page.wait_for_load_state()
    assert page.locator(".help-inbox-count").count() == 0
    page.goto(f"{live_server.url}/help/notifications/preferences/")
    page.screenshot(path=inbox_screenshots / "help-preferences.png", full_page=True)
