"""In a real browser, staff search for a person across the back office and open what they find."""

from decimal import Decimal

import pytest

from accounts.tests.factories import UserFactory
from billing.tests.factories import PaymentFactory
from consultants.tests.factories import BookingFactory, ConsultantFactory
from core.tests.browser import sign_in
from support.tests.factories import SupportTicketFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_find_a_person_everywhere_and_open_the_payments_list(page, live_server, screenshot_dir):
    # given a person with a booking, payments and a ticket
    staff = UserFactory(is_staff=True, is_superuser=True, email="ops@example.com", full_name="Olivia Ops")
    jurgen = UserFactory(full_name="Jürgen Weißmüller", email="jurgen@example.com")
    ConsultantFactory(user=UserFactory(full_name="Jurgen Berg"))
    for amount in ("525.00", "1250.50"):
        fee = (Decimal(amount) * Decimal("0.15")).quantize(Decimal("0.01"))
        PaymentFactory(
            booking=BookingFactory(client=jurgen),
            amount=Decimal(amount),
            platform_fee=fee,
            consultant_amount=Decimal(amount) - fee,
            currency="EUR",
        )
    SupportTicketFactory(requester=jurgen, subject="Invoice for my last session")
    (screenshot_dir / "search").mkdir(exist_ok=True)
    sign_in(page, live_server, staff.email, next_url="/search/")
    # when they search without the accents
    page.fill("#search-form input[name=q]", "jurgen")
    page.click("#search-form button[type=submit]")
    page.wait_for_selector("h2:has-text('Payments')")
    # then each group lists what belongs to him
    assert page.locator("section:has(h2:has-text('People')) li").count() == 2
    assert page.locator("section:has(h2:has-text('Payments')) li").count() == 2
    page.screenshot(path=screenshot_dir / "search" / "search-results.png", full_page=True)
    # when they open the payments list from there
    page.click("section:has(h2:has-text('Payments')) >> text=Open in the list")
    page.wait_for_selector("#result_list")
    # then it shows the same payments, amounts with their currency
    assert page.locator("#result_list tbody tr").count() == 2
    assert page.locator("#result_list >> text=1,250.50 EUR").count() == 1
    page.screenshot(path=screenshot_dir / "search" / "payments-changelist.png", full_page=False)
