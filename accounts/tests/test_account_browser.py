"""In a real browser: the account page and the forgotten-password form, with screenshots to look at."""

import pytest

from accounts.tests.factories import UserFactory
from core.tests.browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def account_screenshots(screenshot_dir):
    path = screenshot_dir / "account"
    path.mkdir(parents=True, exist_ok=True)
    return path


def test_the_account_page_lists_this_session(page, live_server, account_screenshots, browser):
    # given a staff user signed in in another browser too
    user = UserFactory(is_staff=True, email="viewer@example.com", full_name="Vera Viewer")
    elsewhere = browser.new_context(user_agent="Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/131.0 Safari/537.36")
    try:
        sign_in(elsewhere.new_page(), live_server, user.email)

        # when they sign in here and open their account page
        sign_in(page, live_server, user.email)
        page.wait_for_url(f"{live_server.url}/")
        page.goto(f"{live_server.url}/account/")

        # then both sessions are listed, this one marked, the other with its sign-out button
        rows = page.locator("table.sessions tbody tr")
        assert rows.count() == 2
        assert page.locator("tr.current").count() == 1
        assert "Chrome 131 on Windows" in page.inner_text("table.sessions")
        page.screenshot(path=account_screenshots / "account-overview.png", full_page=True)
    finally:
        elsewhere.close()


def test_the_reset_form_and_the_sign_in_link(page, live_server, account_screenshots):
    # given a signed-out visitor on the sign-in page
    page.goto(f"{live_server.url}/admin/login/")
    page.screenshot(path=account_screenshots / "sign-in-with-reset-link.png", full_page=True)

    # when they follow "Forgot password?" and send the form empty
    page.click("text=Forgot password?")
    page.wait_for_selector("#id_email")
    page.screenshot(path=account_screenshots / "password-reset-form.png", full_page=True)
    page.fill("#id_email", "not an address")
    page.click("button[type=submit]")

    # then the error is tied to the field
    page.wait_for_selector("#id_email_error")
    assert page.get_attribute("#id_email", "aria-describedby") == "id_email_error"
    page.screenshot(path=account_screenshots / "password-reset-form-error.png", full_page=True)
