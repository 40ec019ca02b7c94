"""In a real browser: a guessing run pauses sign-in, and the page says so and until when."""

import pytest

from accounts.tests.factories import UserFactory
from core.tests.browser import TEST_PASSWORD, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_after_too_many_wrong_passwords_even_the_right_one_waits(page, live_server, settings, screenshot_dir):
    # given a staff account and someone guessing its password
    user = UserFactory(is_staff=True, email="guessed@example.com")
    for attempt in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(page, live_server, user.email, password=f"wrong-guess-{attempt}")
        assert "Please enter the correct" in page.content()
    # (the failure that reaches the limit is already answered with the pause)
    sign_in(page, live_server, user.email, password="wrong-guess-last")
    page.wait_for_selector(".login-paused")

    # when the right password is typed next
    sign_in(page, live_server, user.email, password=TEST_PASSWORD)

    # then sign-in is paused, and the page says so without saying whether the account exists
    page.wait_for_selector(".login-paused")
    text = page.inner_text("#content-main")
    assert "Sign-in is paused for this account or from this address" in text
    assert "You can try again after" in text
    assert user.email not in page.content()
    page.screenshot(path=screenshot_dir / "sign-in-paused.png", full_page=True)
