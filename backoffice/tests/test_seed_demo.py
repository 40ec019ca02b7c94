"""`manage.py seed_demo`: linked demo rows in every table, money that adds up, all or nothing, once."""

import hashlib
import posixpath
from collections import Counter
from datetime import UTC, timedelta
from decimal import Decimal
from io import StringIO

import pytest
import time_machine
from django.apps import apps
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count, F, Prefetch, Q, Sum
from django.utils import timezone
from guardian.core import ObjectPermissionChecker

from accounts.models import Notification, NotificationChannel, User
from accounts.rbac_catalog import RBAC_APP_LABELS
from analytics.models import KPIMetric, KPIPeriod
from attachments.file_types import FILE_TYPES, SNIFF_BYTES, detected_mime, file_type_for
from attachments.models import FileAttachment, FileOwnerType, ThumbnailStatus
from attachments.storage import FILES_FOLDER, PRIVATE, PUBLIC, THUMBNAILS_FOLDER, is_public_name, stored_names
from auditing.models import AuditAction, AuditLog, SystemLog
from backoffice import demo_data
from backoffice.demo_data.payments import price_in
from backoffice.services import DEMO_USER_PASSWORD, reference_data_seed
from billing.models import Payment, PaymentStatus, Refund, RefundStatus
from billing.money import currency_unit, payment_split, refund_reversal
from billing.selectors import commission_rule_for
from consultants.models import Booking, BookingStatus, BookingUserObjectPermission, Consultant
from consultants.services import expertise_fields_migrate
from core.derived_grants import derived_grants_sync
from support.access import may_handle_tickets
from support.models import SupportTicket, SupportTicketUserObjectPermission, TicketComment, TicketStatus
from support.services import TICKET_ASSIGNEE_GRANTS
from support.sla import ACTIVE_STATUSES, SlaState, business_calendar, deadlines_for, sla_clock

pytestmark = pytest.mark.django_db

PAID = [PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED, PaymentStatus.REFUNDED]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    """Storages of their own per test (public and private attachments), so stored demo files are this
    test's alone."""
    settings.MEDIA_ROOT = tmp_path / "media"
    if settings.STORAGES["attachments_private"]["BACKEND"].endswith("FileSystemStorage"):
        private = {"location": str(tmp_path / "private-media"), "base_url": None}
        settings.STORAGES = {
            **settings.STORAGES,
            "attachments_private": {**settings.STORAGES["attachments_private"], "OPTIONS": private},
        }
    return settings.MEDIA_ROOT


def seed_demo(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", "--no-progress", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def seeded() -> str:
    return seed_demo()


def our_models() -> list:
    return [model for label in RBAC_APP_LABELS for model in apps.get_app_config(label).get_models()]


def row_counts() -> dict[str, int]:
    return {model._meta.label: model._default_manager.count() for model in our_models()}


def stored_demo_files() -> list[str]:
    """Every file and thumbnail in the attachment storage, public and private."""
    folders = [posixpath.join(v, f) for v in (PUBLIC, PRIVATE) for f in (FILES_FOLDER, THUMBNAILS_FOLDER)]
    return sorted(name for folder in folders for name in stored_names(folder))


# Live state that only a real sign-in makes: a demo row would name a session that does not exist.
LIVE_STATE_ONLY = {"accounts.UserSession"}


def test_scale_1_puts_rows_in_every_table_of_our_apps(seeded):
    empty = [label for label, count in row_counts().items() if count == 0 and label not in LIVE_STATE_ONLY]

    assert empty == []


def test_the_sizes_follow_the_scale_contract(seeded):
    assert Booking.objects.count() == 1000
    # the scale's notifications, to demo people only; the demo login's welcome is its own
    assert Notification.objects.filter(user__email__endswith="@demo.example.com").count() == 1000
    assert Notification.objects.exclude(user__email__endswith="@demo.example.com").count() == 1
    assert AuditLog.objects.count() == 1000
    assert SystemLog.objects.count() == 1000
    assert KPIMetric.objects.count() == 1000
    assert 900 <= Payment.objects.count() <= 1000
    assert User.objects.filter(email__endswith="@demo.example.com").count() == 50
    assert Consultant.objects.count() == 5


def in_minor_units(amount: Decimal | None, currency: str) -> bool:
    return amount is not None and amount == amount.quantize(currency_unit(currency))


def test_every_payment_splits_exactly_into_fee_and_consultant_share(seeded, settings):
    payments = list(Payment.objects.select_related("booking"))

    # the booking's price, in the currency paid in, split into two parts that add up to it
    assert all(p.amount == p.platform_fee + p.consultant_amount for p in payments)
    assert all(p.amount == price_in(p.booking.price, p.currency) for p in payments)
    assert all(in_minor_units(p.amount, p.currency) and in_minor_units(p.platform_fee, p.currency) for p in payments)
    # mostly in the platform's currency, some in others (one without minor units among them)
    currencies = Counter(p.currency for p in payments)
    assert currencies.most_common(1)[0][0] == settings.DEFAULT_CURRENCY
    assert {"EUR", "JPY", "SAR"} <= set(currencies)
    # each with a reference of its own from the provider
    references = [p.provider_reference for p in payments]
    assert "" not in references and len(set(references)) == len(references)


def test_each_payment_keeps_the_commission_rule_in_force_on_its_day(seeded, settings):
    # given the demo's payments with the service booked, and the rules they name
    payments = Payment.objects.select_related("booking__service")

    # then each keeps the rule billing's precedence gives for that service on the day it was paid (tried,
    # for a declined card), or none and the platform's default rate, and its fee is the split at that rate
    for payment in payments:
        day = (payment.paid_at or payment.created_at).astimezone(UTC).date()
        rule = commission_rule_for(service=payment.booking.service, day=day)
        rate = rule.rate_percent if rule is not None else settings.PLATFORM_DEFAULT_COMMISSION_PERCENT
        assert payment.commission_rule_id == (rule.pk if rule is not None else None), payment.pk
        assert payment.commission_rate_percent == rate, payment.pk
        split = payment_split(amount=payment.amount, rate_percent=rate, currency=payment.currency)
        assert (payment.platform_fee, payment.consultant_amount) == (split.platform_fee, split.consultant_amount)
    assert payments.exclude(commission_rule__category=None).exists()


def test_refunds_never_exceed_their_payment(seeded):
    refunded = Payment.objects.annotate(
        refunded=Sum("refunds__amount", filter=~Q(refunds__status=RefundStatus.REJECTED))
    ).filter(refunded__isnull=False)

    assert refunded.exists()
    assert not refunded.filter(refunded__gt=F("amount")).exists()
    assert Refund.objects.filter(status=RefundStatus.PROCESSED).exists()


def test_refunded_totals_reversals_and_statuses_follow_the_processed_refunds(seeded):
    # given every payment with its processed refunds, in the order they were processed
    processed = Refund.objects.filter(status=RefundStatus.PROCESSED).order_by("processed_at", "id")
    payments = Payment.objects.prefetch_related(Prefetch("refunds", queryset=processed, to_attr="processed"))

    for payment in payments:
        # then each refund reverses what billing.money gives on the running totals, in the currency's units
        refunded = fee_refunded = Decimal(0)
        for refund in payment.processed:
            reversal = refund_reversal(
                amount=payment.amount,
                platform_fee=payment.platform_fee,
                refunded_before=refunded,
                platform_fee_refunded_before=fee_refunded,
                refund_amount=refund.amount,
                currency=payment.currency,
            )
            assert (refund.platform_fee_reversed, refund.consultant_amount_reversed) == (
                reversal.platform_fee,
                reversal.consultant_amount,
            ), refund.pk
            assert reversal.platform_fee + reversal.consultant_amount == refund.amount  # the parts add up
            assert in_minor_units(refund.amount, payment.currency)
            assert in_minor_units(refund.platform_fee_reversed, payment.currency)
            refunded += refund.amount
            fee_refunded += reversal.platform_fee
        # and the payment's totals are their sums, its status what they returned
        assert (payment.refunded_amount, payment.platform_fee_refunded) == (refunded, fee_refunded), payment.pk
        if refunded == payment.amount:
            assert payment.status == PaymentStatus.REFUNDED, payment.pk
        elif refunded:
            assert payment.status == PaymentStatus.PARTIALLY_REFUNDED, payment.pk
        else:
            assert payment.status in (PaymentStatus.SUCCEEDED, PaymentStatus.FAILED), payment.pk
    statuses = set(payments.values_list("status", flat=True))
    assert statuses == set(PaymentStatus.values) - {PaymentStatus.PENDING}
    # some payment was refunded in more than one go
    assert processed.values("payment").annotate(n=Count("id")).filter(n__gt=1).exists()


def test_refunds_are_asked_for_by_staff_and_decided_by_someone_else(seeded):
    refunds = Refund.objects.all()
    requested = refunds.filter(status=RefundStatus.REQUESTED)
    decided = refunds.exclude(status=RefundStatus.REQUESTED)

    assert set(refunds.values_list("status", flat=True)) == set(RefundStatus.values)
    assert not refunds.filter(Q(requested_by=None) | Q(requested_by__is_staff=False)).exists()
    undecided = Q(decided_by=None, decided_at=None, decision_note="", processed_by=None, processed_at=None)
    assert not requested.exclude(undecided).exists()
    assert not decided.filter(Q(decided_by=None) | Q(decided_at__lt=F("created_at"))).exists()
    assert not decided.filter(decided_by=F("requested_by")).exists()
    assert not refunds.filter(status=RefundStatus.REJECTED, decision_note="").exists()
    assert not refunds.filter(status=RefundStatus.APPROVED).exclude(decision_note="").exists()
    assert (
        not refunds.filter(status=RefundStatus.PROCESSED)
        .filter(Q(processed_by=None) | Q(processed_at__lt=F("decided_at")))
        .exists()
    )


def test_booking_prices_come_from_their_service(seeded):
    assert not Booking.objects.exclude(price=F("service__price")).exists()
    assert not Booking.objects.exclude(consultant=F("service__consultant")).exists()


def test_statuses_fit_the_calendar(seeded):
    now = timezone.now()
    past, future = Booking.objects.filter(scheduled_at__lt=now), Booking.objects.filter(scheduled_at__gt=now)

    assert past.exists() and future.exists()
    assert not past.filter(status=BookingStatus.PENDING).exists()
    assert not future.filter(status__in=[BookingStatus.COMPLETED, BookingStatus.NO_SHOW]).exists()
    assert not Payment.objects.filter(booking__status=BookingStatus.PENDING).exists()
    completed = Booking.objects.filter(status=BookingStatus.COMPLETED)
    assert not completed.exclude(payments__status__in=PAID).exists()


def test_history_spreads_over_two_years(seeded):
    now = timezone.now()
    for model in (Booking, AuditLog, SystemLog, Notification):
        oldest = model.objects.earliest("created_at").created_at
        newest = model.objects.latest("created_at").created_at
        assert oldest < now - timedelta(days=600), model
        assert newest > now - timedelta(days=14), model


def test_audit_rows_look_like_real_traffic(seeded):
    rows = AuditLog.objects.all()

    assert rows.values("action").distinct().count() == 10
    assert rows.filter(action=AuditAction.RECOMPUTE, entity_type="analytics.kpimetric").exists()
    assert rows.values("entity_type").distinct().count() >= 6
    assert rows.exclude(ip_address=None).exclude(user_agent="").exists()
    assert rows.filter(actor=None).exclude(actor_label="").exists()
    assert rows.filter(entity_type="consultants.booking", changes__has_key="status").exists()
    # payments and refunds as billing audits them, naming real rows and their amounts
    payments = Payment.objects.in_bulk([int(r.entity_id) for r in rows.filter(action=AuditAction.PAYMENT)])
    for row in rows.filter(action=AuditAction.PAYMENT):
        payment = payments[int(row.entity_id)]
        assert row.changes["amount"] == f"{payment.amount} {payment.currency}"
        assert row.changes["commission_rule"] == payment.commission_rule_id
    refunds = Refund.objects.in_bulk([int(r.entity_id) for r in rows.filter(action=AuditAction.REFUND)])
    for row in rows.filter(action=AuditAction.REFUND):
        refund = refunds[int(row.entity_id)]
        assert (row.changes["payment"], row.changes["amount"]) == (refund.payment_id, str(refund.amount))
        assert row.actor_id in (refund.requested_by_id, refund.decided_by_id, refund.processed_by_id)


def test_notifications_use_every_channel(seeded):
    channels = set(Notification.objects.values_list("channel", flat=True))

    assert channels == set(NotificationChannel.values)


def test_tickets_have_conversations_with_internal_notes_by_staff(seeded):
    internal = TicketComment.objects.filter(is_internal=True)

    assert internal.exists()
    assert not internal.filter(author__is_staff=False).exists()
    assert TicketComment.objects.filter(is_internal=False).exists()


def test_every_ticket_has_the_deadlines_of_its_priority_and_its_waits(seeded):
    # given
    calendar = business_calendar()
    tickets = list(SupportTicket.objects.all())

    # then: deadlines as the services set them, from the opening, the priority and the time paused
    for ticket in tickets:
        assert (ticket.first_response_due_at, ticket.resolution_due_at) == deadlines_for(
            opened_at=ticket.created_at,
            priority=ticket.priority,
            paused_seconds=ticket.sla_paused_seconds,
            calendar=calendar,
        ), ticket.reference
    assert any(ticket.sla_paused_seconds > 0 for ticket in tickets)


def test_the_first_response_is_the_first_reply_the_client_saw(seeded):
    tickets = SupportTicket.objects.prefetch_related("comments")

    for ticket in tickets:
        replies = [c for c in ticket.comments.all() if not c.is_internal and c.author_id != ticket.requester_id]
        assert ticket.first_response_at == (replies[0].created_at if replies else None), ticket.reference
        assert all(c.author_id in (ticket.requester_id, ticket.assignee_id) for c in ticket.comments.all())
    assert not tickets.filter(status=TicketStatus.OPEN).exclude(assignee=None).exists()


def test_tickets_in_hand_are_assigned_to_staff_who_may_handle_them(seeded):
    in_hand = (
        SupportTicket.objects.exclude(status=TicketStatus.CLOSED).exclude(assignee=None).select_related("assignee")
    )

    assert in_hand.exists()
    assert all(may_handle_tickets(ticket.assignee) for ticket in in_hand)


def desk_states() -> set[tuple[str, str]]:
    """(status, service-level state) of every ticket in hand, read now as the queue reads them."""
    now, calendar = timezone.now(), business_calendar()
    return {
        (ticket.status, sla_clock(ticket, now=now, calendar=calendar).state)
        for ticket in SupportTicket.objects.filter(status__in=ACTIVE_STATUSES)
    }


EVERY_ACTIVE_STATE = {
    (TicketStatus.OPEN, SlaState.ON_TRACK),
    (TicketStatus.OPEN, SlaState.AT_RISK),
    (TicketStatus.OPEN, SlaState.OVERDUE),
    (TicketStatus.IN_PROGRESS, SlaState.ON_TRACK),
    (TicketStatus.IN_PROGRESS, SlaState.AT_RISK),
    (TicketStatus.IN_PROGRESS, SlaState.OVERDUE),
    (TicketStatus.IN_PROGRESS, SlaState.PAUSED),
}


def test_the_desk_has_work_in_hand_in_every_service_level_state(seeded):
    assert desk_states() >= EVERY_ACTIVE_STATE


@pytest.mark.parametrize(
    "moment",
    [
        "2026-03-07T23:30:00+00:00",  # a Saturday night: the desk is closed until Monday
        "2026-03-10T16:45:00+00:00",  # a Tuesday, a quarter of an hour before closing
        "2026-03-11T09:05:00+00:00",  # a Wednesday, just after opening
    ],
)
def test_whenever_the_demo_is_seeded_the_desk_shows_every_state(moment):
    # given: the desk's hours and zone as configured by default
    with time_machine.travel(moment):
        # when
        seed_demo()

        # then
        assert desk_states() >= EVERY_ACTIVE_STATE


def test_tickets_waiting_on_the_client_were_asked_something_last(seeded):
    waiting = SupportTicket.objects.filter(status=TicketStatus.IN_PROGRESS, waiting_on_client_since__isnull=False)

    assert waiting.exists()
    for ticket in waiting:
        last_public = ticket.comments.filter(is_internal=False).latest("created_at")
        assert last_public.author_id == ticket.assignee_id
        assert last_public.created_at == ticket.waiting_on_client_since


def test_resolved_tickets_wait_on_the_client_and_closed_ones_were_resolved_first(seeded):
    resolved = SupportTicket.objects.filter(status=TicketStatus.RESOLVED)
    closed = SupportTicket.objects.filter(status=TicketStatus.CLOSED)

    assert resolved.exists() and closed.exists()
    assert not resolved.exclude(waiting_on_client_since=F("resolved_at")).exists()
    assert not resolved.exclude(closed_at=None).exists()
    assert not closed.filter(Q(closed_at=None) | Q(resolved_at=None) | Q(closed_at__lt=F("resolved_at"))).exists()
    assert not SupportTicket.objects.filter(status__in=ACTIVE_STATUSES).exclude(resolved_at=None).exists()


def test_breaches_are_flagged_after_their_deadline_as_the_periodic_check_would(seeded):
    # given
    now, calendar = timezone.now(), business_calendar()
    tickets = SupportTicket.objects.all()

    # then: a flag only past its deadline, and before the deadline was met
    first_late = tickets.exclude(first_response_breached_at=None)
    late = tickets.exclude(resolution_breached_at=None)
    assert first_late.exists() and late.exists()
    assert not first_late.filter(
        Q(first_response_breached_at__lte=F("first_response_due_at"))
        | Q(first_response_breached_at__gt=now)
        | Q(first_response_at__lte=F("first_response_breached_at"))
    ).exists()
    assert not late.filter(
        Q(resolution_breached_at__lte=F("resolution_due_at"))
        | Q(resolution_breached_at__gt=now)
        | Q(resolved_at__lte=F("resolution_breached_at"))
    ).exists()
    # and every running deadline passed longer ago than the check's period is flagged
    for ticket in tickets.filter(status__in=ACTIVE_STATUSES):
        clock = sla_clock(ticket, now=now, calendar=calendar)
        if clock.state == SlaState.OVERDUE and clock.due_at and clock.due_at < now - timedelta(minutes=10):
            flag = ticket.resolution_breached_at if ticket.first_response_at else ticket.first_response_breached_at
            assert flag is not None, ticket.reference


def test_kpi_values_agree_with_the_rows_they_summarise(seeded, settings):
    # given: last month, complete in the demo history
    first_of_this_month = timezone.now().date().replace(day=1)
    month = (first_of_this_month - timedelta(days=1)).replace(day=1)
    in_month = {"scheduled_at__date__gte": month, "scheduled_at__date__lt": first_of_this_month}
    paid_in_month = {"paid_at__date__gte": month, "paid_at__date__lt": first_of_this_month}

    def kpi(name: str, **dimensions: str) -> Decimal:
        return KPIMetric.objects.get(
            name=name, period=KPIPeriod.MONTHLY, period_start=month, dimensions=dimensions
        ).value

    # then
    assert kpi("sessions_completed") == Booking.objects.filter(status=BookingStatus.COMPLETED, **in_month).count()
    # money in the platform's currency
    paid = Payment.objects.filter(status__in=PAID, currency=settings.DEFAULT_CURRENCY, **paid_in_month)
    revenue = paid.aggregate(total=Sum("amount"))["total"]
    assert kpi("revenue_gross", currency=settings.DEFAULT_CURRENCY) == revenue


def test_attachments_point_at_real_stored_files_of_every_owner_type(seeded):
    attachments = FileAttachment.objects.all()

    assert set(attachments.values_list("owner_type", flat=True)) == set(FileOwnerType.values)
    assert attachments.filter(is_public=True).exists() and attachments.filter(is_public=False).exists()
    for attachment in attachments:
        with attachment.file.open("rb") as stored:
            content = stored.read()
        assert is_public_name(str(attachment.file)) == attachment.is_public
        assert len(content) == attachment.size_bytes
        assert hashlib.sha256(content).hexdigest() == attachment.checksum_sha256
        extension = posixpath.splitext(str(attachment.file))[1]
        assert file_type_for(detected_mime(content[:SNIFF_BYTES]), extension) == FILE_TYPES[attachment.content_type]


def test_image_attachments_have_ready_thumbnails_of_their_visibility(seeded):
    images = FileAttachment.objects.filter(content_type__in=[m for m, t in FILE_TYPES.items() if t.is_image])

    assert images.exists()
    assert not images.exclude(thumbnail_status=ThumbnailStatus.READY).exists()
    assert not FileAttachment.objects.exclude(pk__in=images).exclude(thumbnail_status=ThumbnailStatus.NONE).exists()
    assert not FileAttachment.objects.exclude(pk__in=images).exclude(thumbnail=None).exclude(thumbnail="").exists()
    for image in images:
        assert is_public_name(str(image.thumbnail)) == image.is_public
        with image.thumbnail.open("rb") as stored:
            assert FILE_TYPES[detected_mime(stored.read(SNIFF_BYTES))].is_image


def test_the_storage_holds_only_files_the_rows_name(seeded):
    named = {name for pair in FileAttachment.objects.values_list("file", "thumbnail") for name in pair if name}

    assert stored_demo_files() == sorted(named)


def test_seeding_again_reuses_the_stored_demo_files():
    # given: a seeding rolled back, which leaves its stored files behind
    with transaction.atomic():
        seed_demo()
        first = set(FileAttachment.objects.values_list("file", "thumbnail"))
        transaction.set_rollback(True)
    stored = stored_demo_files()

    # when
    seed_demo()

    # then
    assert set(FileAttachment.objects.values_list("file", "thumbnail")) == first
    assert stored_demo_files() == stored


def test_ownership_grants_are_what_consultants_ownership_would_make(seeded):
    # given
    before = BookingUserObjectPermission.objects.count()

    # when: the owning module recomputes the grants of every booking
    derived_grants_sync(model=Booking, object_ids=Booking.objects.values_list("pk", flat=True))

    # then
    assert BookingUserObjectPermission.objects.count() == before == 2 * Booking.objects.count()
    assert not BookingUserObjectPermission.objects.exclude(user=F("content_object__consultant__user")).exists()


def test_ticket_grants_are_what_support_assignment_would_make(seeded):
    grants = SupportTicketUserObjectPermission.objects.all()
    assigned = SupportTicket.objects.exclude(assignee=None)

    assert grants.count() == len(TICKET_ASSIGNEE_GRANTS.permissions) * assigned.count() > 0
    assert not grants.exclude(user=F("content_object__assignee")).exists()
    ticket = assigned.earliest("pk")
    checker = ObjectPermissionChecker(ticket.assignee)  # per-object grants only, not the role's
    assert all(checker.has_perm(permission, ticket) for permission in TICKET_ASSIGNEE_GRANTS.permissions)


def test_legacy_expertise_fields_give_the_migration_work(seeded):
    result = expertise_fields_migrate()

    assert result.links_created > 0
    assert result.problems


def test_demo_users_share_the_documented_password(seeded):
    demo_users = User.objects.filter(email__endswith="@demo.example.com")

    assert demo_users.values("password").distinct().count() == 1
    assert demo_users.earliest("pk").check_password(DEMO_USER_PASSWORD)
    assert demo_users.filter(is_staff=True).exists()


def test_the_demo_login_is_printed_on_every_run(seeded):
    second = seed_demo()

    assert seeded.strip().endswith("Demo login: admin@example.com / demo-admin-2026")
    assert second.strip().endswith("Demo login: admin@example.com / demo-admin-2026")
    assert User.objects.get(email="admin@example.com").is_superuser


def test_a_second_run_adds_nothing(seeded):
    # given
    before = row_counts()

    # when
    output = seed_demo("--scale", "2")

    # then
    assert row_counts() == before
    assert "Demo data is already present (users at @demo.example.com exist); nothing added." in output


def test_the_same_seed_gives_the_same_data():
    # given the reference data in place (its rows, such as the default commission rule that payments name,
    # get their ids from the database's sequences, which a rolled-back run moves on)
    reference_data_seed()

    def run(seed: str) -> tuple:
        with transaction.atomic():
            seed_demo("--seed", seed)
            snapshot = (
                list(User.objects.filter(email__endswith="@demo.example.com").values_list("pk", "email", "created_at")),
                list(Booking.objects.values_list("pk", "client_id", "service_id", "scheduled_at", "status", "price")),
                list(Payment.objects.values_list("pk", "booking_id", "status", "amount", "platform_fee", "currency")),
                list(Refund.objects.values_list("pk", "payment_id", "status", "amount", "requested_by", "decided_by")),
                list(AuditLog.objects.values_list("action", "entity_type", "changes", "ip_address", "created_at")),
            )
            transaction.set_rollback(True)
        return snapshot

    assert run("7") == run("7")
    assert run("7") != run("8")


@pytest.mark.parametrize("failing_after", ["seed_sessions", "seed_object_permissions"])
def test_a_failure_midway_leaves_no_rows_and_no_files(monkeypatch, failing_after):
    # given: a step that fails after the named one
    def fail(ctx):
        raise RuntimeError("disk on fire")

    names = [step.__name__ for step in demo_data.STEPS]
    steps = list(demo_data.STEPS)
    steps.insert(names.index(failing_after) + 1, fail)
    monkeypatch.setattr(demo_data, "STEPS", tuple(steps))

    # when
    with pytest.raises(RuntimeError, match="disk on fire"):
        seed_demo()

    # then
    assert {label: count for label, count in row_counts().items() if count} == {}
    assert stored_demo_files() == []


@pytest.mark.parametrize("scale", ["0", "-1", "abc"])
def test_a_bad_scale_is_refused_before_anything_is_written(scale):
    with pytest.raises(CommandError, match="--scale"):
        seed_demo("--scale", scale)
    with pytest.raises(CommandError, match="--scale"):
        call_command("seed_demo", scale=scale, no_progress=True, stdout=StringIO())
    assert not User.objects.exists()


def test_after_seeding_ordinary_inserts_get_fresh_primary_keys(require_postgres, seeded):
    # COPY writes explicit keys; the sequences must have been moved past them.
    from consultants.tests.factories import BookingFactory

    assert BookingFactory().pk > 1000
    assert AuditLog.objects.create(action="LOGIN", entity_type="accounts.user").pk > 1000
