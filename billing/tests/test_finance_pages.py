"""The finance staff pages: payments with their totals, one payment and its refunds, the refunds queue
and its decisions, consultants' earnings, and why a service's commission is what it is."""

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

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
from billing.models import Payment, PaymentStatus, Refund, RefundStatus
from billing.tests.factories import PaymentFactory, RefundFactory, ServiceCommissionFactory, refund_processed
from consultants.tests.factories import BookingFactory, ConsultantFactory, ServiceCategoryFactory, ServiceFactory
from core.testing import messages_shown, signed_in

pytestmark = pytest.mark.django_db

PAYMENTS = reverse("billing:payments")
REFUNDS = reverse("billing:refunds")
EARNINGS = reverse("billing:earnings")
COMMISSIONS = reverse("billing:commissions")
FINANCE = (VIEW_PAYMENT, VIEW_REFUND, ADD_REFUND, APPROVE_REFUND, PROCESS_REFUND, EXPORT_PAYMENTS, VIEW_COMMISSION)


@pytest.fixture
def finance():
    """A finance officer holding every finance permission."""
    return staff_holding(*FINANCE, full_name="Fiona Finance")


@pytest.fixture
def clerk():
    """Staff who may ask for refunds, not decide them."""
    return staff_holding(VIEW_PAYMENT, VIEW_REFUND, ADD_REFUND, full_name="Carl Clerk")


def paid(*, days_ago: float = 0, **fields) -> Payment:
    """A succeeded payment created ``days_ago`` days ago."""
    payment = PaymentFactory(**fields)
    if days_ago:
        moment = timezone.now() - timedelta(days=days_ago)
        Payment.objects.filter(pk=payment.pk).update(created_at=moment, paid_at=moment)
        payment.refresh_from_db()
    return payment


def in_currency(currency: str, amount: str, fee: str, **fields) -> Payment:
    amount_value, fee_value = Decimal(amount), Decimal(fee)
    return paid(
        currency=currency,
        amount=amount_value,
        platform_fee=fee_value,
        consultant_amount=amount_value - fee_value,
        **fields,
    )


def queries_of(client: Client, url: str, query: dict | None = None) -> tuple[int, Any]:
    """How many queries a GET of ``url`` costs once the session and permissions are warm, and its answer."""
    client.get(url, query or {})
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url, query or {})
    assert response.status_code == 200
    return len(queries), response


def listed(response) -> list[int]:
    return [row["payment"].pk for row in response.context["rows"]]


# Who may do what: each page and action for holders only


def url_of(name: str, payment: Payment, refund: Refund) -> str:
    if name in ("billing:payment", "billing:payment_refund"):
        return reverse(name, args=[payment.pk])
    if name.startswith("billing:refund_") and name != "billing:refunds_export":
        return reverse(name, args=[refund.pk])
    if name == "billing:service_commission":
        return reverse(name, args=[payment.booking.service_id])
    return reverse(name)


ACCESS = [
    ("billing:payments", "get", (VIEW_PAYMENT,)),
    ("billing:payment", "get", (VIEW_PAYMENT,)),
    ("billing:payments_export", "get", (VIEW_PAYMENT, EXPORT_PAYMENTS)),
    ("billing:payment_refund", "post", (VIEW_PAYMENT, ADD_REFUND)),
    ("billing:refunds", "get", (VIEW_REFUND,)),
    ("billing:refunds_export", "get", (VIEW_REFUND, EXPORT_PAYMENTS)),
    ("billing:refund_approve", "post", (VIEW_REFUND, APPROVE_REFUND)),
    ("billing:refund_reject", "post", (VIEW_REFUND, APPROVE_REFUND)),
    ("billing:refund_process", "post", (VIEW_REFUND, PROCESS_REFUND)),
    ("billing:earnings", "get", (VIEW_PAYMENT,)),
    ("billing:commissions", "get", (VIEW_COMMISSION,)),
    ("billing:service_commission", "get", (VIEW_COMMISSION,)),
]


@pytest.mark.parametrize(("name", "method", "needed"), ACCESS)
def test_each_page_and_action_lets_in_holders_of_its_permissions_only(name, method, needed):
    # given a payment with a requested refund
    payment = PaymentFactory()
    refund = RefundFactory(payment=payment)
    url = url_of(name, payment, refund)

    # then a holder of what it needs gets in (a page, or a redirect back with a message)
    holder = signed_in(staff_holding(*needed))
    answer = getattr(holder, method)(url, {"amount": "1.00", "reason": "Late"} if method == "post" else {})
    assert answer.status_code in (200, 302), answer.status_code
    if answer.status_code == 302:
        assert not answer["Location"].startswith(reverse("admin:login"))

    # and staff holding everything else but one of them are refused, as are people who are not staff
    for missing in needed:
        others = [perm for perm in FINANCE if perm != missing]
        assert getattr(signed_in(staff_holding(*others)), method)(url).status_code == 403, missing
    assert getattr(Client(), method)(url)["Location"].startswith(reverse("admin:login"))
    not_staff = UserFactory()
    assert getattr(signed_in(not_staff), method)(url)["Location"].startswith(reverse("admin:login"))


def test_pages_are_read_with_get_and_actions_sent_with_post(finance):
    payment = PaymentFactory()
    refund = RefundFactory(payment=payment)
    client = signed_in(finance)
    for name, method, _needed in ACCESS:
        wrong = "post" if method == "get" else "get"
        assert getattr(client, wrong)(url_of(name, payment, refund)).status_code == 405, name


def test_the_sidebar_lists_the_finance_pages_each_only_to_who_may_open_it(finance):
    # given someone who may only view payments
    response = signed_in(staff_holding(VIEW_PAYMENT)).get(PAYMENTS)
    sidebar = response.content.decode().split('id="nav-sidebar"')[1].split("</nav>")[0]
    assert f'href="{PAYMENTS}" aria-current="page"' in sidebar
    assert f'href="{EARNINGS}"' in sidebar
    assert f'href="{REFUNDS}"' not in sidebar and f'href="{COMMISSIONS}"' not in sidebar

    # and on the refunds queue (under /staff/finance/ too) only the refunds link is the current one
    sidebar = signed_in(finance).get(REFUNDS).content.decode().split('id="nav-sidebar"')[1].split("</nav>")[0]
    assert sidebar.count('aria-current="page"') == 1
    assert f'href="{REFUNDS}" aria-current="page"' in sidebar


# The payments list


def test_the_list_shows_the_newest_payments_first_with_their_split_and_status(finance):
    older = paid(days_ago=2)
    newer = paid(days_ago=1)
    refund_processed(payment=newer, amount=Decimal("40.00"))
    response = signed_in(finance).get(PAYMENTS)
    assert response.status_code == 200
    assert listed(response) == [newer.pk, older.pk]
    row = response.context["rows"][0]
    assert (row["amount"], row["fee"], row["share"], row["refunded"]) == (
        "100.00 USD",
        "15.00 USD",
        "85.00 USD",
        "40.00 USD",
    )
    assert row["status"] == "Partially refunded"
    page = response.content.decode()
    assert newer.payer.email in page and newer.booking.service.title in page
    assert reverse("billing:payment", args=[newer.pk]) in page


def test_by_default_the_list_and_its_totals_cover_the_last_30_days_and_say_so(finance):
    # given a payment of this month and one of last quarter
    recent, old = paid(days_ago=3), paid(days_ago=90)
    client = signed_in(finance)

    # when the list is opened with no filter
    response = client.get(PAYMENTS)

    # then it shows the recent one, its totals count it alone, and the filter bar shows the period
    assert listed(response) == [recent.pk]
    assert [total.count for total in response.context["totals"]] == [1]
    since = (timezone.localdate() - timedelta(days=29)).isoformat()
    assert f'value="{since}"' in response.content.decode()

    # and emptying the "From" day asks for all time
    assert set(listed(client.get(PAYMENTS, {"date_from": ""}))) == {recent.pk, old.pk}


def test_totals_are_per_currency_and_never_added_across_currencies(finance):
    # given payments in three currencies, one of them partly refunded
    usd_a = in_currency("USD", "100.00", "15.00")
    in_currency("USD", "250.50", "37.58")
    in_currency("EUR", "80.00", "12.00")
    in_currency("JPY", "12000", "1800")
    in_currency("USD", "999.00", "99.00", status=PaymentStatus.FAILED, paid_at=None)
    refund_processed(payment=usd_a, amount=Decimal("20.00"))

    # when the list is opened
    response = signed_in(finance).get(PAYMENTS)

    # then each currency has its own count and sums, in currency order; a failed payment is counted, not added up
    totals = {total.currency: total for total in response.context["totals"]}
    assert list(totals) == ["EUR", "JPY", "USD"]
    usd = totals["USD"]
    assert (usd.count, usd.received, usd.amount, usd.platform_fee, usd.consultant_amount, usd.refunded_amount) == (
        3, 2, Decimal("350.50"), Decimal("52.58"), Decimal("297.92"), Decimal("20.00"),
    )  # fmt: skip
    assert (totals["EUR"].count, totals["EUR"].amount) == (1, Decimal("80.00"))
    assert (totals["JPY"].count, totals["JPY"].amount) == (1, Decimal("12000"))
    page = response.content.decode()
    totals_html = page.split('class="finance-totals"')[1].split("</section>")[0]
    assert "12,000 JPY" in totals_html and "350.50 USD" in totals_html and "999" not in totals_html


def test_the_list_filters_by_status_currency_consultant_service_category_and_day(finance):
    # given payments told apart by each filter
    category = ServiceCategoryFactory(name="Tax advice")
    tax_service = ServiceFactory(category=category, title="Quarterly VAT review")
    mira = ConsultantFactory(user=UserFactory(full_name="Mira Okafor", email="mira@example.com"))
    payments = {
        "euro": in_currency("EUR", "80.00", "12.00"),
        "failed": paid(status=PaymentStatus.FAILED, paid_at=None),
        "mira": paid(booking=BookingFactory(service=ServiceFactory(consultant=mira))),
        "tax": paid(booking=BookingFactory(service=tax_service)),
        "old": paid(days_ago=10),
    }
    today = timezone.localdate()
    queries = {
        "status=FAILED": {"failed"},
        "currency=EUR": {"euro"},
        f"consultant={mira.pk}": {"mira"},
        "consultant=okafor": {"mira"},
        "consultant=MIRA@example": {"mira"},
        f"service={tax_service.pk}": {"tax"},
        "service=vat review": {"tax"},
        f"category={category.pk}": {"tax"},
        f"date_from={today - timedelta(days=12)}&date_to={today - timedelta(days=8)}": {"old"},
    }
    client = signed_in(finance)
    for query, expected in queries.items():
        # when the list is filtered
        response = client.get(f"{PAYMENTS}?{query}")
        # then it lists those payments only, and the totals follow the filter
        names = {name for name, payment in payments.items() if payment.pk in listed(response)}
        assert names == expected, query
        assert sum(total.count for total in response.context["totals"]) == len(expected), query


def test_a_consultant_in_a_row_links_to_the_list_of_their_payments(finance):
    payment = paid()
    paid()
    response = signed_in(finance).get(PAYMENTS, {"status": "SUCCEEDED"})
    row = next(row for row in response.context["rows"] if row["payment"].pk == payment.pk)
    assert row["consultant_url"] == f"?status=SUCCEEDED&consultant={payment.booking.consultant_id}"
    assert listed(signed_in(finance).get(PAYMENTS + row["consultant_url"])) == [payment.pk]


def test_the_list_pages_follow_each_other_without_gaps_or_repeats(finance):
    for index in range(55):
        paid(days_ago=index / 100)
    client = signed_in(finance)
    first = client.get(PAYMENTS)
    second = client.get(PAYMENTS, {"before": first.context["page"].following})
    back = client.get(PAYMENTS, {"after": second.context["page"].previous})
    seen = listed(first) + listed(second)
    assert len(seen) == len(set(seen)) == 55
    assert listed(back) == listed(first)


def test_the_list_costs_the_same_queries_for_3_rows_and_for_30(finance, django_assert_max_num_queries):
    client = signed_in(finance)
    counts = []
    for batch in (3, 27):
        for _ in range(batch):
            refund_processed(payment=paid(), amount=Decimal("5.00"))
        count, response = queries_of(client, PAYMENTS)
        counts.append(count)
    assert len(response.context["rows"]) == 30
    assert counts[0] == counts[1]
    # the session, the user, the permissions' generation, the categories, the consultants the name finds,
    # the page and the totals
    with django_assert_max_num_queries(7):
        client.get(PAYMENTS, {"status": "PARTIALLY_REFUNDED", "currency": "USD", "consultant": "someone"})


@pytest.mark.parametrize(
    "query",
    [
        {"consultant": "a\x00b"},
        {"consultant": "99999999999999999999999"},
        {"consultant": "0"},
        {"consultant": "ab"},
        {"consultant": "x" * 500},
        {"service": "²³"},
        {"service": "-1"},
        {"category": "99999999999999999999"},
        {"category": "tax"},
        {"status": "STOLEN"},
        {"currency": "XXX"},
        {"date_from": "0001-01-01"},
        {"date_from": "2026-13-45"},
        {"date_to": "99999-01-01"},
        {"date_from": "2026-05-10", "date_to": "2026-05-01"},
        {"date_from": "\x00"},
        {"before": "12-34-56"},
        {"after": "9" * 60},
        {"before": "99999999999999999999999-1"},
    ],
)
def test_bad_filter_input_gets_a_clear_answer_never_a_server_error(finance, query):
    paid()
    client = signed_in(finance)
    client.raise_request_exception = False
    response = client.get(PAYMENTS, query)
    assert response.status_code in (200, 400)
    if response.status_code == 200 and not {"before", "after"} & set(query):
        # the bad field is named on the page, and nothing is listed or added up on a filter not understood
        assert response.context["filter"].errors
        assert response.context["rows"] == [] and response.context["totals"] == []
        assert 'class="field-error"' in response.content.decode()


def test_a_page_link_not_of_ours_shows_the_first_page_with_a_message(finance):
    payment = paid()
    response = signed_in(finance).get(PAYMENTS, {"before": "not-a-token"})
    assert listed(response) == [payment.pk]
    assert any("page link is not valid" in text for text in messages_shown(response))


# One payment


def test_the_payment_page_shows_the_split_the_rule_and_each_refund_with_its_history(finance, clerk):
    # given a payment split by its category's rule, with a processed and a rejected refund
    service = ServiceFactory(category=ServiceCategoryFactory(name="Tax"))
    rule = ServiceCommissionFactory(
        category=service.category, rate_percent=Decimal("12.00"), effective_from=date(2025, 3, 1)
    )
    payment = paid(
        booking=BookingFactory(service=service),
        platform_fee=Decimal("12.00"),
        consultant_amount=Decimal("88.00"),
        commission_rule=rule,
        commission_rate_percent=Decimal("12.00"),
    )
    refund_processed(payment=payment, amount=Decimal("25.00"), reason="Ended 20 minutes early.", requested_by=clerk)
    rejected = services.refund_request(
        payment=payment, amount=Decimal("10.00"), reason="Audio was poor.", requested_by=clerk
    )
    services.refund_reject(refund=rejected, rejected_by=finance, reason="The recording shows clear audio.")

    # when finance opens it
    response = signed_in(finance).get(reverse("billing:payment", args=[payment.pk]))

    # then it shows the split, the rule with a link to the service's commission, and both refunds' stories
    assert response.status_code == 200
    page = response.content.decode()
    assert "Category “Tax” rule of 12 %, since 2025-03-01." in page
    assert reverse("billing:service_commission", args=[service.pk]) in page
    for text in ("100.00 USD", "12.00 USD", "88.00 USD", "25.00 USD", "75.00 USD"):
        assert text in page
    assert "Ended 20 minutes early." in page and "Carl Clerk" in page
    assert "The recording shows clear audio." in page and "rejected by Fiona Finance" in page
    assert "processed by Fiona" in page or "processed by" in page
    # 100 paid, 25 returned, 10 released by the rejection: 75 can still be refunded
    assert response.context["available"] == Decimal("75.00")


def test_without_the_commission_permission_the_rule_is_shown_without_its_link(clerk):
    payment = paid()
    page = signed_in(clerk).get(reverse("billing:payment", args=[payment.pk])).content.decode()
    assert reverse("billing:service_commission", args=[payment.booking.service_id]) not in page


def test_the_refund_form_is_offered_to_who_may_ask_for_refunds_only(clerk):
    payment = paid()
    url = reverse("billing:payment", args=[payment.pk])
    assert 'name="amount"' in signed_in(clerk).get(url).content.decode()
    viewer = staff_holding(VIEW_PAYMENT, VIEW_REFUND)
    assert 'name="amount"' not in signed_in(viewer).get(url).content.decode()
    payments_only = signed_in(staff_holding(VIEW_PAYMENT)).get(url)
    assert payments_only.context["refunds"] == [] and "You may not see refunds." in payments_only.content.decode()
    # asking does not need seeing the others: the form says how much is left
    RefundFactory(payment=payment, amount=Decimal("30.00"))
    asker = signed_in(staff_holding(VIEW_PAYMENT, ADD_REFUND)).get(url)
    assert 'name="amount"' in asker.content.decode() and asker.context["refunds"] == []
    assert asker.context["available"] == Decimal("70.00")


def test_unknown_and_absurd_payment_ids_are_not_found(finance):
    client = signed_in(finance)
    for pk in (0, 987654321, 2**63, 10**30):
        assert client.get(f"/staff/finance/payments/{pk}/").status_code == 404


def test_asking_for_a_refund_through_the_page_records_it_and_says_so(clerk):
    payment = paid()
    response = signed_in(clerk).post(
        reverse("billing:payment_refund", args=[payment.pk]),
        {"amount": "30.00", "reason": "Consultant left early."},
        follow=True,
    )
    refund = Refund.objects.get(payment=payment)
    assert (refund.amount, refund.status, refund.requested_by_id) == (
        Decimal("30.00"),
        RefundStatus.REQUESTED,
        clerk.pk,
    )
    assert any(f"Refund #{refund.pk} of 30.00 USD requested" in text for text in messages_shown(response))


@pytest.mark.parametrize(
    ("amount", "reason", "told"),
    [
        ("150.00", "Too much", "At most 100.00 USD"),
        ("abc", "Not a number", "must be a number"),
        ("10.001", "Too precise", "at most 2 decimals"),
        ("-5", "Negative", "more than zero"),
        ("10.00", "", "Say why the money goes back."),
        ("", "No amount", "Say how much goes back."),
        ("1\x00", "NUL", "Null characters are not allowed."),
    ],
)
def test_a_refund_request_the_service_refuses_is_told_and_writes_nothing(clerk, amount, reason, told):
    payment = paid()
    response = signed_in(clerk).post(
        reverse("billing:payment_refund", args=[payment.pk]), {"amount": amount, "reason": reason}
    )
    assert response.status_code == 400
    assert any(told in text for text in messages_shown(response)), messages_shown(response)
    assert not Refund.objects.filter(payment=payment).exists()
    # and what was typed is kept in the form
    if reason:
        assert reason in response.content.decode()


def test_requests_already_holding_the_payment_leave_room_only_for_the_rest(clerk):
    payment = paid()
    client = signed_in(clerk)
    url = reverse("billing:payment_refund", args=[payment.pk])
    client.post(url, {"amount": "60.00", "reason": "First half"})
    response = client.post(url, {"amount": "50.00", "reason": "Second half"})
    assert any("At most 40.00 USD" in text for text in messages_shown(response))
    assert Refund.objects.filter(payment=payment).count() == 1


# The refunds queue and its decisions


def test_the_queue_opens_on_requested_refunds_oldest_first_with_counts_per_status(finance, clerk):
    first = services.refund_request(payment=paid(), amount="10", reason="First", requested_by=clerk)
    second = services.refund_request(payment=paid(), amount="10", reason="Second", requested_by=clerk)
    refund_processed(payment=paid())
    response = signed_in(finance).get(REFUNDS)
    assert [row["refund"].pk for row in response.context["rows"]] == [first.pk, second.pk]
    tabs = {tab["status"]: tab for tab in response.context["tabs"]}
    assert tabs["REQUESTED"]["current"] and tabs["REQUESTED"]["count"] == 2
    assert tabs["PROCESSED"]["count"] == 1 and tabs["all"]["count"] == 3
    processed = signed_in(finance).get(REFUNDS, {"status": "PROCESSED"})
    assert [row["status"] for row in processed.context["rows"]] == ["Processed"]


def test_the_queue_offers_each_action_to_who_may_take_it_and_not_on_ones_own_request(finance, clerk):
    theirs = services.refund_request(payment=paid(), amount="10", reason="Theirs", requested_by=clerk)
    mine = services.refund_request(payment=paid(), amount="10", reason="Mine", requested_by=finance)
    rows = {row["refund"].pk: row for row in signed_in(finance).get(REFUNDS).context["rows"]}
    assert rows[theirs.pk]["may_decide"] and not rows[theirs.pk]["own"]
    assert not rows[mine.pk]["may_decide"] and rows[mine.pk]["own"]
    page = signed_in(clerk).get(REFUNDS).content.decode()
    assert "/approve/" not in page and "/reject/" not in page


def test_approving_then_processing_through_the_pages_returns_the_money(finance, clerk):
    payment = paid()
    refund = services.refund_request(payment=payment, amount="40.00", reason="Short session", requested_by=clerk)
    client = signed_in(finance)
    back = f"{REFUNDS}?status=REQUESTED"

    # when finance approves it from the queue
    response = client.post(reverse("billing:refund_approve", args=[refund.pk]), {"next": back})

    # then it is approved and they are back on the queue, told so
    assert response.status_code == 302 and response["Location"] == back
    assert Refund.objects.get(pk=refund.pk).status == RefundStatus.APPROVED
    assert any("approved" in text for text in messages_shown(client.get(back)))

    # and when they process it, the payment is partially refunded, which its page shows
    response = client.post(reverse("billing:refund_process", args=[refund.pk]), follow=True)
    assert any("the payment is now partially refunded" in text for text in messages_shown(response))
    payment.refresh_from_db()
    assert (payment.status, payment.refunded_amount) == (PaymentStatus.PARTIALLY_REFUNDED, Decimal("40.00"))
    page = client.get(reverse("billing:payment", args=[payment.pk])).content.decode()
    assert "Partially refunded" in page


@pytest.mark.parametrize(
    ("action", "setup", "told"),
    [
        ("approve", "approved", "was already approved"),
        ("approve", "own", "You asked for this refund"),
        ("reject", "own", "You asked for this refund"),
        ("reject", "no_reason", "Say why the refund is rejected"),
        ("process", "requested", "only an approved refund can be processed"),
        ("process", "processed", "only an approved refund can be processed"),
    ],
)
def test_a_decision_the_service_refuses_is_told_and_changes_nothing(finance, clerk, action, setup, told):
    requester = finance if setup == "own" else clerk
    refund = services.refund_request(payment=paid(), amount="10.00", reason="Why not", requested_by=requester)
    if setup in ("approved", "processed"):
        services.refund_approve(refund=refund, approved_by=staff_holding(APPROVE_REFUND))
    if setup == "processed":
        services.refund_process(refund=refund, processed_by=finance)
    before = Refund.objects.filter(pk=refund.pk).values().get()
    response = signed_in(finance).post(
        reverse(f"billing:refund_{action}", args=[refund.pk]),
        {"next": REFUNDS, "reason": "" if setup == "no_reason" else "Not this one"},
        follow=True,
    )
    assert response.status_code == 200
    assert any(told in text for text in messages_shown(response)), messages_shown(response)
    assert Refund.objects.filter(pk=refund.pk).values().get() == before


def test_a_rejection_reason_too_long_to_read_is_refused_with_a_message(finance, clerk):
    refund = services.refund_request(payment=paid(), amount="10.00", reason="Why not", requested_by=clerk)
    response = signed_in(finance).post(
        reverse("billing:refund_reject", args=[refund.pk]), {"reason": "x" * 5000}, follow=True
    )
    assert any("at most" in text for text in messages_shown(response))
    assert Refund.objects.get(pk=refund.pk).status == RefundStatus.REQUESTED


def test_rejecting_with_a_reason_tells_the_payer_and_frees_the_amount(finance, clerk):
    payment = paid()
    refund = services.refund_request(payment=payment, amount="100.00", reason="All of it", requested_by=clerk)
    signed_in(finance).post(reverse("billing:refund_reject", args=[refund.pk]), {"reason": "The session was held."})
    refund.refresh_from_db()
    assert (refund.status, refund.decision_note, refund.decided_by_id) == (
        RefundStatus.REJECTED, "The session was held.", finance.pk,
    )  # fmt: skip
    assert signed_in(clerk).get(reverse("billing:payment", args=[payment.pk])).context["available"] == Decimal("100.00")


def test_an_action_goes_back_only_to_a_finance_page_of_this_site(finance, clerk):
    client = signed_in(finance)
    for target in ("https://evil.example/staff/finance/", "//evil.example/staff/finance/", "/admin/", ""):
        refund = services.refund_request(payment=paid(), amount="1.00", reason="x", requested_by=clerk)
        response = client.post(reverse("billing:refund_approve", args=[refund.pk]), {"next": target})
        assert response["Location"] == REFUNDS, target


def test_the_queue_costs_the_same_queries_for_3_refunds_and_for_30(finance, clerk, django_assert_max_num_queries):
    client = signed_in(finance)
    counts = []
    for batch in (3, 27):
        for _ in range(batch):
            services.refund_request(payment=paid(), amount="1.00", reason="Late start", requested_by=clerk)
        count, response = queries_of(client, REFUNDS)
        counts.append(count)
    assert len(response.context["rows"]) == 30
    assert counts[0] == counts[1]
    # the session, the user, the permissions' generation, the page and the counts per status
    with django_assert_max_num_queries(5):
        client.get(REFUNDS, {"status": "all"})


@pytest.mark.parametrize(
    "query",
    [{"status": "NOPE"}, {"status": "\x00"}, {"date_from": "0001-01-01"}, {"currency": "<b>"}, {"after": "x-y"}],
)
def test_bad_queue_input_is_a_clear_answer(finance, query):
    response = signed_in(finance).get(REFUNDS, query)
    assert response.status_code in (200, 400)


# Earnings


def test_earnings_rank_consultants_for_the_month_per_currency_with_what_they_keep(finance):
    # given two consultants paid this month, one in two currencies and partly refunded
    ann = ConsultantFactory(user=UserFactory(full_name="Ann Able"))
    bob = ConsultantFactory(user=UserFactory(full_name="Bob Best"))
    ann_usd = paid(booking=BookingFactory(service=ServiceFactory(consultant=ann)))
    in_currency("EUR", "80.00", "12.00", booking=BookingFactory(service=ServiceFactory(consultant=ann)))
    for _ in range(2):
        paid(booking=BookingFactory(service=ServiceFactory(consultant=bob)))
    refund_processed(payment=ann_usd, amount=Decimal("100.00"))
    paid(status=PaymentStatus.FAILED, paid_at=None, booking=BookingFactory(service=ServiceFactory(consultant=ann)))

    # when finance opens the earnings
    response = signed_in(finance).get(EARNINGS)

    # then each consultant has one row per currency, best first within each, and failed payments count for nothing
    rows = [
        (row.currency, row.consultant_name, row.payments, row.gross, row.refunded_share, row.net)
        for row in response.context["ranking_rows"]
    ]
    assert rows == [
        ("EUR", "Ann Able", 1, Decimal("80.00"), Decimal("0.00"), Decimal("68.00")),
        ("USD", "Bob Best", 2, Decimal("200.00"), Decimal("0.00"), Decimal("170.00")),
        ("USD", "Ann Able", 1, Decimal("100.00"), Decimal("85.00"), Decimal("0.00")),
    ]
    totals = {row.currency: row for row in response.context["totals"]}
    assert (totals["USD"].gross, totals["USD"].net) == (Decimal("300.00"), Decimal("170.00"))


def test_one_consultants_earnings_by_month_for_the_last_12_months(finance):
    ann = ConsultantFactory(user=UserFactory(full_name="Ann Able"))
    booking = BookingFactory(service=ServiceFactory(consultant=ann))
    paid(booking=booking)
    paid(booking=booking, days_ago=40)
    paid(booking=booking, days_ago=500)  # long before the default twelve months
    paid()  # someone else's
    response = signed_in(finance).get(EARNINGS, {"consultant": ann.pk})
    assert response.context["consultant"] == ann
    months = response.context["months"]
    assert sum(row.payments for row in months) == 2
    assert [row.month for row in months] == sorted({row.month for row in months}, reverse=True)
    assert sum(row.net for row in months) == Decimal("170.00")


def test_the_ranking_pages_follow_each_other(finance):
    for _ in range(53):
        paid()
    client = signed_in(finance)
    first = client.get(EARNINGS)
    assert first.context["ranking"]["following"] == 2 and first.context["ranking"]["previous"] is None
    second = client.get(EARNINGS, {"page": 2})
    assert second.context["ranking"]["following"] is None and second.context["ranking"]["previous"] == 1
    seen = [row.consultant_id for row in first.context["ranking_rows"] + second.context["ranking_rows"]]
    assert len(seen) == len(set(seen)) == 53
    assert client.get(EARNINGS, {"page": "99999"}).context["ranking_rows"] == []  # past the last page followed
    assert client.get(EARNINGS, {"page": "9" * 30}).context["ranking"]["number"] == 1


def test_a_typed_name_finds_the_one_consultant_or_offers_those_it_matches(finance):
    ann = ConsultantFactory(user=UserFactory(full_name="Annabel Quill", email="annabel@example.com"))
    ConsultantFactory(user=UserFactory(full_name="Quentin Quill", email="quentin@example.com"))
    client = signed_in(finance)
    response = client.get(EARNINGS, {"consultant": "annabel"})
    assert response.status_code == 302 and f"consultant={ann.pk}" in response["Location"]
    choices = client.get(EARNINGS, {"consultant": "quill"}).context["to_pick"]
    assert len(choices) == 2
    nobody = client.get(EARNINGS, {"consultant": "zzzzzz"})
    assert any("No consultant" in text for text in messages_shown(nobody))


@pytest.mark.parametrize(
    "query",
    [
        {"month_from": "2026-13", "month_to": "2026-01"},
        {"month_from": "0001-01", "month_to": "0001-02"},
        {"month_from": "2026-05", "month_to": "2026-01"},
        {"month_from": "2020-01", "month_to": "2026-01"},  # a ranking over six years
        {"month_from": "\x00", "month_to": "2026-01"},
        {"month_from": "", "month_to": "2026-01"},
        {"consultant": "99999999999999999999", "month_from": "2026-01", "month_to": "2026-02"},
        {"consultant": "987654321"},
        {"currency": "DOGE"},
        {"page": "x"},
        {"page": "99999999999999999999"},
    ],
)
def test_bad_earnings_input_is_a_clear_answer(finance, query):
    paid()
    response = signed_in(finance).get(EARNINGS, query)
    assert response.status_code in (200, 400)


def test_earnings_cost_a_bounded_number_of_queries(finance, django_assert_max_num_queries):
    client = signed_in(finance)
    counts = []
    for batch in (3, 27):
        for _ in range(batch):
            paid()
        count, response = queries_of(client, EARNINGS)
        counts.append(count)
    assert len(response.context["ranking_rows"]) == 30
    assert counts[0] == counts[1]
    # the session, the user, the permissions' generation, the page's rows (no COUNT), the totals
    with django_assert_max_num_queries(5):
        client.get(EARNINGS)
    consultant = Payment.objects.select_related("booking").earliest("pk").booking.consultant_id
    with django_assert_max_num_queries(7):  # the consultant, their months and their totals
        client.get(EARNINGS, {"consultant": consultant})


# Commission rules


def test_the_commission_page_finds_services_by_title_with_the_rate_that_applies_today(finance):
    category = ServiceCategoryFactory(name="Tax")
    ServiceCommissionFactory(rate_percent=Decimal("15.00"), effective_from=date(2020, 1, 1))
    ServiceCommissionFactory(category=category, rate_percent=Decimal("12.00"), effective_from=date(2025, 3, 1))
    own = ServiceFactory(title="VAT return review", category=category)
    ServiceCommissionFactory(service=own, rate_percent=Decimal("9.50"), effective_from=date(2024, 1, 1))
    by_category = ServiceFactory(title="VAT registration", category=category)
    by_default = ServiceFactory(title="VAT for startups")
    ServiceFactory(title="Pension planning")

    response = signed_in(finance).get(COMMISSIONS, {"q": "vat"})

    rows = {row["service"].pk: (row["level"], row["rule"].rate_percent) for row in response.context["services"]}
    assert rows == {
        own.pk: ("service", Decimal("9.50")),
        by_category.pk: ("category", Decimal("12.00")),
        by_default.pk: ("default", Decimal("15.00")),
    }


@pytest.mark.parametrize(
    ("rules", "level", "reason"),
    [
        ("service category default", "service", "This service's own rule of 9.5 % (since 2024-01-01) applies"),
        (
            "category default",
            "category",
            "No service rule is in force; the category “Tax” rule of 12 % (since 2025-03-01) applies.",
        ),
        (
            "default",
            "default",
            "No service or category rule is in force; the platform default of 15 % (since 2020-01-01) applies.",
        ),
        ("", "fallback", "the fallback rate of 15 %"),
    ],
)
def test_a_services_commission_page_says_which_rule_applies_and_why(finance, rules, level, reason):
    service = ServiceFactory(title="VAT return review", category=ServiceCategoryFactory(name="Tax"))
    if "default" in rules:
        ServiceCommissionFactory(rate_percent=Decimal("15.00"), effective_from=date(2020, 1, 1))
    if "category" in rules:
        ServiceCommissionFactory(
            category=service.category, rate_percent=Decimal("12.00"), effective_from=date(2025, 3, 1)
        )
    if "service" in rules:
        ServiceCommissionFactory(service=service, rate_percent=Decimal("9.50"), effective_from=date(2024, 1, 1))

    response = signed_in(finance).get(reverse("billing:service_commission", args=[service.pk]))

    assert response.context["view"].level == level
    assert reason in response.context["reason"]
    assert reason.split(";")[0] in response.content.decode().replace("&#x27;", "'")
    states = {card["title"]: card["state"] for card in response.context["levels"]}
    if level == "service":
        assert states == {"Service": "applies", "Category": "overridden", "Platform default": "overridden"}


def test_a_services_rule_history_lists_every_rule_of_each_level_newest_first(finance):
    service = ServiceFactory(category=ServiceCategoryFactory(name="Tax"))
    ended = ServiceCommissionFactory(
        service=service, rate_percent=Decimal("8.00"), effective_from=date(2023, 1, 1), effective_to=date(2023, 12, 31)
    )
    inactive = ServiceCommissionFactory(
        service=service, rate_percent=Decimal("7.00"), effective_from=date(2024, 1, 1), is_active=False
    )
    current = ServiceCommissionFactory(service=service, rate_percent=Decimal("9.00"), effective_from=date(2024, 6, 1))
    later = ServiceCommissionFactory(
        category=service.category, rate_percent=Decimal("11.00"), effective_from=date(2099, 1, 1)
    )
    response = signed_in(finance).get(reverse("billing:service_commission", args=[service.pk]))
    histories = {title: rows for title, rows in response.context["histories"]}
    own = histories["This service's rules"]
    assert [(row["rule"].pk, row["state"]) for row in own] == [
        (current.pk, "in_force"), (inactive.pk, "inactive"), (ended.pk, "ended"),
    ]  # fmt: skip
    assert [(row["rule"].pk, row["state"]) for row in histories["Rules of the category “Tax”"]] == [
        (later.pk, "scheduled")
    ]
    assert histories["Platform default rules"] == []


def test_a_services_commission_on_another_day_and_bad_days(finance):
    service = ServiceFactory()
    ServiceCommissionFactory(
        service=service, rate_percent=Decimal("8.00"), effective_from=date(2023, 1, 1), effective_to=date(2023, 12, 31)
    )
    client = signed_in(finance)
    url = reverse("billing:service_commission", args=[service.pk])
    assert client.get(url, {"day": "2023-06-01"}).context["view"].level == "service"
    assert client.get(url).context["view"].level == "fallback"
    for day in ("0001-01-01", "2026-02-31", "x" * 300):
        response = client.get(url, {"day": day})
        assert response.status_code == 200 and messages_shown(response), day
    assert client.get(url, {"day": "\x00"}).status_code == 400
    for pk in (987654321, 2**63):
        assert client.get(f"/staff/finance/commissions/services/{pk}/").status_code == 404


def test_the_commission_pages_cost_a_bounded_number_of_queries(finance, django_assert_max_num_queries):
    client = signed_in(finance)
    counts = []
    for batch in (3, 27):
        for _ in range(batch):
            ServiceCommissionFactory(service=ServiceFactory(title=f"Audit {_}"), rate_percent=Decimal("10.00"))
        count, response = queries_of(client, COMMISSIONS, {"q": "audit"})
        counts.append(count)
    assert len(response.context["services"]) == 25  # a page
    assert counts[0] == counts[1]
    service = response.context["services"][0]["service"]
    # the session, the user, the permissions' generation, the service and every rule of its three levels
    with django_assert_max_num_queries(5):
        client.get(reverse("billing:service_commission", args=[service.pk]))
    assert client.get(COMMISSIONS, {"q": "x" * 300}).status_code == 200


def test_a_typed_name_or_title_matching_nothing_says_so(finance):
    paid()
    for query, told in (
        ({"service": "no such title"}, "No service matches"),
        ({"consultant": "nobody-zz"}, "No consultant matches"),
    ):
        response = signed_in(finance).get(PAYMENTS, query)
        assert response.context["rows"] == [] and told in response.content.decode()


def test_a_typed_title_naming_too_many_services_asks_for_more_of_it(finance, monkeypatch):
    # given three services whose titles share a word, and (for the test) room for two matches
    monkeypatch.setattr("billing.filters.MAX_MATCHES", 2)
    for title in ("Tax review", "Budget review", "Pension review"):
        paid(booking=BookingFactory(service=ServiceFactory(title=title)))

    # when the list is filtered by that word
    response = signed_in(finance).get(PAYMENTS, {"service": "review"})

    # then the field says why nothing is listed
    assert response.context["rows"] == []
    assert "names more than 2 of them" in response.content.decode()
    assert len(listed(signed_in(finance).get(PAYMENTS, {"service": "tax review"}))) == 1
