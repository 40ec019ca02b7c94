"""In a real browser: finance staff filter the payments and read their totals, approve and process a
refund from the queue, and find the payment partially refunded; then the earnings and the commission
pages. A screenshot of each page is left in artifacts/screenshots/."""

from datetime import date
from decimal import Decimal

import pytest

from accounts.rbac_catalog import (
    ADD_REFUND,
    APPROVE_REFUND,
    EXPORT_PAYMENTS,
    PROCESS_REFUND,
    VIEW_COMMISSION,
    VIEW_PAYMENT,
    VIEW_REFUND,
)
from accounts.tests.factories import UserFactory, staff_holding
from billing import services
from billing.models import PaymentStatus
from billing.tests.factories import PaymentFactory, ServiceCommissionFactory, refund_processed
from consultants.tests.factories import BookingFactory, ConsultantFactory, ServiceCategoryFactory, ServiceFactory
from core.tests.browser import page_fit_problems, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def books(require_postgres):
    """A small book of payments: two consultants, two currencies, a refund waiting for a decision."""
    category = ServiceCategoryFactory(name="Tax advice", slug="tax-advice")
    default = ServiceCommissionFactory(rate_percent=Decimal("15.00"), effective_from=date(2020, 1, 1))
    tax_rule = ServiceCommissionFactory(
        category=category, rate_percent=Decimal("12.00"), effective_from=date(2025, 3, 1)
    )
    nadia = ConsultantFactory(user=UserFactory(full_name="Nadia Rahman", email="nadia@example.com"))
    omar = ConsultantFactory(user=UserFactory(full_name="Omar Haddad", email="omar@example.com"))
    vat = ServiceFactory(consultant=nadia, category=category, title="Quarterly VAT review", price=Decimal("240.00"))
    audit = ServiceFactory(consultant=omar, title="Cash-flow health check", price=Decimal("180.00"))
    clients = [
        UserFactory(full_name=name, email=f"{name.split()[0].lower()}@client.example")
        for name in ("Lina Saleh", "James Carter", "Sofia Rossi", "Yusuf Demir")
    ]
    payments = []
    for index, client in enumerate(clients):
        service = vat if index % 2 == 0 else audit
        payments.append(
            PaymentFactory(
                booking=BookingFactory(client=client, service=service),
                payer=client,
                amount=Decimal("240.00") if service == vat else Decimal("180.00"),
                platform_fee=Decimal("28.80") if service == vat else Decimal("27.00"),
                consultant_amount=Decimal("211.20") if service == vat else Decimal("153.00"),
                commission_rate_percent=Decimal("12.00") if service == vat else Decimal("15.00"),
                commission_rule=tax_rule if service == vat else default,
            )
        )
    PaymentFactory(
        booking=BookingFactory(client=clients[2], service=audit),
        payer=clients[2],
        currency="EUR",
        amount=Decimal("160.00"),
        platform_fee=Decimal("24.00"),
        consultant_amount=Decimal("136.00"),
    )
    declined = BookingFactory(client=clients[3], service=vat)
    PaymentFactory(booking=declined, payer=clients[3], status=PaymentStatus.FAILED, paid_at=None)
    clerk = staff_holding(VIEW_PAYMENT, VIEW_REFUND, ADD_REFUND, full_name="Carl Clerk", email="carl@example.com")
    refund_processed(payment=payments[1], amount=Decimal("30.00"), reason="Started 20 minutes late.")
    waiting = services.refund_request(
        payment=payments[0], amount=Decimal("80.00"), reason="The second hour was cut short.", requested_by=clerk
    )
    return {"payment": payments[0], "refund": waiting, "service": vat}


@pytest.fixture
def finance_officer():
    return staff_holding(
        VIEW_PAYMENT, VIEW_REFUND, ADD_REFUND, APPROVE_REFUND, PROCESS_REFUND, EXPORT_PAYMENTS, VIEW_COMMISSION,
        full_name="Fiona Finance", email="fiona@example.com",
    )  # fmt: skip


def test_finance_filters_payments_then_approves_and_processes_a_refund(
    page, live_server, books, finance_officer, screenshot_dir
):
    payment, refund = books["payment"], books["refund"]

    # given finance staff on the payments list
    sign_in(page, live_server, finance_officer.email, next_url="/staff/finance/")
    page.wait_for_selector("table.finance-table")
    assert page.locator(".totals-row").count() == 2  # EUR and USD, each on its own
    page.screenshot(path=screenshot_dir / "finance-payments.png", full_page=True)

    # when they narrow it to US dollars
    page.select_option("#id_currency", "USD")
    page.click(".filter-bar button[type=submit]")
    page.wait_for_url("**currency=USD**")

    # then the rows and the totals are the dollar payments only
    totals = page.locator(".totals-row")
    assert totals.count() == 1 and "USD" in totals.inner_text()
    # five payments, four of them received: 240 + 180 + 240 + 180 (the declined card's is not added up)
    assert "840.00 USD" in totals.inner_text() and "4 received" in totals.inner_text()
    assert page.locator("table.finance-table tbody tr").count() == 5

    # when they open the refunds queue and approve the clerk's request
    page.click("nav.subnav >> text=Refunds")
    page.wait_for_selector("table.refunds-table")
    page.screenshot(path=screenshot_dir / "finance-refunds.png", full_page=True)
    row = page.locator("table.refunds-table tbody tr", has_text="The second hour was cut short.")
    row.locator("button:has-text('Approve')").click()
    page.wait_for_selector(f"text=Refund #{refund.pk} approved")

    # and process it from the Approved tab, confirming the money goes back
    page.click(".finance-tabs >> text=Approved")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("table.refunds-table tbody tr", has_text="cut short").locator("button:has-text('Process')").click()
    page.wait_for_selector(f"text=Refund #{refund.pk} processed")

    # then the payment's page shows it partially refunded, with the refund's story
    page.goto(f"{live_server.url}/staff/finance/payments/{payment.pk}/")
    page.wait_for_selector(".finance-badges")
    assert page.locator(".finance-badges .money-status").inner_text() == "Partially refunded"
    story = page.locator(".refund-item", has_text="cut short").inner_text()
    assert "approved by Fiona Finance" in story and "processed by Fiona Finance" in story
    page.screenshot(path=screenshot_dir / "finance-payment.png", full_page=True)
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_amount) == (PaymentStatus.PARTIALLY_REFUNDED, Decimal("80.00"))


def test_finance_reads_earnings_and_why_a_commission_applies(page, live_server, books, finance_officer, screenshot_dir):
    sign_in(page, live_server, finance_officer.email, next_url="/staff/finance/earnings/")
    page.wait_for_selector("table.finance-table")
    # dollars: Nadia's two VAT reviews (211.20 each, less the 80.00 refund's share) before Omar's
    dollars = page.locator("table.finance-table tbody tr", has_text="USD")
    assert [name.split("\t")[0] for name in dollars.all_inner_texts()] == ["Nadia Rahman", "Omar Haddad"]
    page.screenshot(path=screenshot_dir / "finance-earnings.png", full_page=True)

    page.click("text=Nadia Rahman")
    page.wait_for_selector("h1:has-text('Earnings of Nadia Rahman')")
    page.screenshot(path=screenshot_dir / "finance-earnings-consultant.png", full_page=True)

    page.goto(f"{live_server.url}/staff/finance/commissions/?q=review")
    page.wait_for_selector("table.finance-table")
    page.screenshot(path=screenshot_dir / "finance-commissions.png", full_page=True)
    page.click("text=Quarterly VAT review")
    page.wait_for_selector(".commission-why")
    assert "category “Tax advice” rule of 12 %" in page.locator(".commission-why").inner_text()
    page.screenshot(path=screenshot_dir / "finance-service-commission.png", full_page=True)


def test_the_finance_pages_read_right_to_left_in_arabic(browser, live_server, books, finance_officer, screenshot_dir):
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="ar")
    context.add_cookies([{"name": "django_language", "value": "ar", "url": live_server.url}])
    page = context.new_page()
    try:
        sign_in(page, live_server, finance_officer.email, next_url="/staff/finance/")
        page.wait_for_selector("table.finance-table")
        assert page.evaluate("document.documentElement.dir") == "rtl"
        assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
        page.screenshot(path=screenshot_dir / "finance-payments-ar.png", full_page=True)
        page.goto(f"{live_server.url}/staff/finance/payments/{books['payment'].pk}/")
        page.wait_for_selector(".finance-layout")
        page.screenshot(path=screenshot_dir / "finance-payment-ar.png", full_page=True)
    finally:
        context.close()


FINANCE_PAGES = {
    "payments": "",
    "refunds": "refunds/",
    "refunds-all": "refunds/?status=all",
    "earnings": "earnings/",
    "commissions": "commissions/",
}


@pytest.mark.parametrize(
    ("language", "scheme", "width"), [("en", "light", 1440), ("ar", "dark", 390), ("en", "dark", 390)]
)
def test_every_finance_page_fits_the_screen_and_has_no_serious_accessibility_finding(
    browser, live_server, books, finance_officer, screenshot_dir, language, scheme, width
):
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    urls = {name: f"/staff/finance/{path}" for name, path in FINANCE_PAGES.items()} | {
        "payment": f"/staff/finance/payments/{books['payment'].pk}/",
        "service-commission": f"/staff/finance/commissions/services/{books['service'].pk}/",
        "earnings-consultant": f"/staff/finance/earnings/?consultant={books['service'].consultant_id}",
    }
    shots = screenshot_dir / "finance"
    shots.mkdir(exist_ok=True)
    problems = []
    try:
        sign_in(page, live_server, finance_officer.email)
        page.wait_for_selector("h1")
        for name, url in urls.items():
            problems += page_fit_problems(page, live_server.url + url, language=language, width=width)
            page.screenshot(path=shots / f"{name}--{language}-{scheme}-{width}.png", full_page=True)
    finally:
        context.close()
    assert problems == [], "\n".join(problems)
