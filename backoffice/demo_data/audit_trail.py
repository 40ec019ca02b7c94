"""Demo audit events: sign-ins, bookings made and moved along, payments, refunds, ticket work, account
suspensions, deletions and background jobs, each with a before/after diff, over two years."""

from collections.abc import Callable
from datetime import datetime, timedelta
from itertools import accumulate

from auditing.models import AuditAction, AuditLog
from backoffice.demo_data.context import DemoContext, RefundRef
from backoffice.demo_data.network import ip_address, request_id, user_agent
from backoffice.demo_data.vocabulary import MESSAGE_SUBJECTS
from billing.models import RefundStatus
from consultants.models import BookingStatus

AUDIT_FIELDS = (
    "id", "action", "actor_id", "actor_label", "entity_type", "entity_id", "changes", "ip_address", "user_agent",
    "request_id", "created_at",
)  # fmt: skip
# (action, actor id, actor label, entity type, entity id, changes, when)
Event = tuple[str, int | None, str, str, str, dict, datetime]

# Who moves a booking into each status, and from which one.
_BOOKING_TRANSITIONS: dict[str, tuple[str, str]] = {
    BookingStatus.CONFIRMED: ("PENDING", "consultant"),
    BookingStatus.COMPLETED: ("CONFIRMED", "consultant"),
    BookingStatus.NO_SHOW: ("CONFIRMED", "consultant"),
    BookingStatus.CANCELLED: ("CONFIRMED", "client"),
    BookingStatus.PENDING: ("PENDING", "client"),  # still pending: the client moved it instead
}
# Background jobs act without a user: (who, what they touch, what they report).
_JOBS = (
    ("system: compute_kpis", "analytics.kpimetric", "values"),
    ("system: user_roles_expiry_task", "accounts.userrole", "roles_expired"),
    ("system: cleanup_logs", "auditing.systemlog", "rows_deleted"),
    ("system: deliver_notifications", "accounts.notification", "notifications_sent"),
)


def seed_audit_logs(ctx: DemoContext) -> None:
    """About ``plan.audit_logs`` events; those made through a request carry its IP, user agent and id."""
    ids = ctx.writer.reserve(AuditLog, ctx.plan.audit_logs)
    users = ctx.user_ids()
    kinds, weights = zip(*_kinds(ctx, users), strict=True)
    cumulative = list(accumulate(weights))
    events = (ctx.rng.choices(kinds, cum_weights=cumulative)[0]() for _ in ids)
    ctx.writer.write(AuditLog, AUDIT_FIELDS, (_row(ctx, pk, event) for pk, event in zip(ids, events, strict=True)))


def _row(ctx: DemoContext, pk: int, event: Event) -> tuple:
    action, actor_id, actor_label, entity_type, entity_id, changes, when = event
    when = ctx.not_after_now(when)
    # A background job acts without a request behind it: no address, browser or request id.
    ip, agent, request = (ip_address(ctx), user_agent(ctx), request_id(ctx)) if actor_id else (None, "", "")
    return (pk, action, actor_id, actor_label, entity_type, entity_id, changes, ip, agent, request, when)


def _by_user(
    ctx: DemoContext, action: str, actor_id: int, entity_type: str, entity_id: int, changes: dict, when: datetime
) -> Event:
    return action, actor_id, ctx.user_emails[actor_id], entity_type, str(entity_id), changes, when


def _kinds(ctx: DemoContext, users: list[int]) -> list[tuple[Callable[[], Event], int]]:
    def any_time() -> datetime:
        return ctx.growing_moment(ctx.start, ctx.now)

    def sign_in() -> Event:
        user = ctx.pick(users)
        return _by_user(ctx, AuditAction.LOGIN, user, "accounts.user", user, {}, any_time())

    def sign_out() -> Event:
        user = ctx.pick(users)
        return _by_user(ctx, AuditAction.LOGOUT, user, "accounts.user", user, {}, any_time())

    def booking_created() -> Event:
        b = ctx.pick(ctx.bookings)
        changes = {
            "status": [None, "PENDING"],
            "price": [None, str(b.price)],
            "scheduled_at": [None, b.scheduled_at.isoformat()],
        }
        when = max(ctx.start, b.scheduled_at - timedelta(days=ctx.rng.uniform(1, 14)))
        return _by_user(ctx, AuditAction.CREATE, b.client_id, "consultants.booking", b.id, changes, when)

    def booking_moved() -> Event:
        b = ctx.pick(ctx.bookings)
        before, by = _BOOKING_TRANSITIONS[b.status]
        actor = b.consultant_user_id if by == "consultant" else b.client_id
        when = b.scheduled_at + timedelta(hours=ctx.rng.uniform(-48, 3))
        if before == b.status:
            # An update that changes nothing is never recorded: a pending booking was rescheduled.
            earlier = b.scheduled_at - timedelta(days=ctx.rng.randint(1, 7))
            changes = {"scheduled_at": [earlier.isoformat(), b.scheduled_at.isoformat()]}
            when = min(when, earlier)
        else:
            changes = {"status": [before, b.status]}
        return _by_user(ctx, AuditAction.UPDATE, actor, "consultants.booking", b.id, changes, when)

    def payment() -> Event:
        p = ctx.pick(ctx.payments)
        # What billing.services.payment_record records.
        changes = {
            "booking": p.booking_id,
            "amount": f"{p.amount} {p.currency}",
            "platform_fee": str(p.platform_fee),
            "consultant_amount": str(p.consultant_amount),
            "commission_rate_percent": str(p.commission_rate_percent),
            "commission_rule": p.commission_rule_id,
            "provider_reference": p.provider_reference,
        }
        return _by_user(ctx, AuditAction.PAYMENT, p.payer_id, "billing.payment", p.id, changes, p.at)

    def refund() -> Event:
        if not ctx.refunds:
            return payment()
        r = ctx.pick(ctx.refunds)
        actor, changes, when = _refund_step(ctx, r)
        return _by_user(ctx, AuditAction.REFUND, actor, "billing.refund", r.id, changes, when)

    # Tickets opened before the demo's "now" (the work in hand may have been opened since): their audit
    # events, clamped to before now, must not predate them.
    worked_tickets = [t for t in ctx.tickets if t.created_at < ctx.now - timedelta(hours=1)] or ctx.tickets

    def ticket_worked() -> Event:
        t = ctx.pick(worked_tickets)
        agent = t.assignee_id or ctx.pick(ctx.staff_ids)
        changes = {"status": ["OPEN", "IN_PROGRESS"], "assignee": [None, agent]}
        when = ctx.after(t.created_at, max_hours=30)
        return _by_user(ctx, AuditAction.UPDATE, agent, "support.supportticket", t.id, changes, when)

    def profile_edited() -> Event:
        user = ctx.pick(users)
        changes = {"phone": [f"+1555{ctx.rng.randrange(10**7):07d}", f"+1555{ctx.rng.randrange(10**7):07d}"]}
        return _by_user(ctx, AuditAction.UPDATE, user, "accounts.user", user, changes, any_time())

    def suspended() -> Event:
        changes = {"status": ["ACTIVE", "SUSPENDED"]}
        return _by_user(
            ctx, AuditAction.SUSPEND, ctx.pick(ctx.staff_ids), "accounts.user", ctx.pick(users), changes, any_time()
        )

    def reactivated() -> Event:
        changes = {"status": ["SUSPENDED", "ACTIVE"]}
        return _by_user(
            ctx, AuditAction.ACTIVATE, ctx.pick(ctx.staff_ids), "accounts.user", ctx.pick(users), changes, any_time()
        )

    def message_deleted() -> Event:
        b = ctx.pick(ctx.bookings)
        message_id = ctx.pick(ctx.ids["consultants.message"])
        changes = {"subject": [ctx.pick(MESSAGE_SUBJECTS), None]}
        when = ctx.after(b.scheduled_at, max_hours=24 * 10)
        return _by_user(ctx, AuditAction.DELETE, b.client_id, "consultants.message", message_id, changes, when)

    def job_ran() -> Event:
        label, entity_type, counted = ctx.pick(_JOBS)
        when = ctx.moment(ctx.start, ctx.now)
        if entity_type == "analytics.kpimetric":
            # Derived data: one RECOMPUTE event per run, with its scope and counts (auditing.capture_registry).
            scope = {"period": "DAILY", "period_start": when.date().isoformat()}
            changes = {"scope": scope, "counts": {"values": ctx.rng.randint(20, 400)}}
            return AuditAction.RECOMPUTE, None, label, entity_type, "", changes, when
        changes = {counted: [None, ctx.rng.randint(1, 5000)]}
        return AuditAction.UPDATE, None, label, entity_type, "", changes, when

    return [
        (sign_in, 25), (sign_out, 10), (booking_created, 15), (booking_moved, 15), (payment, 12), (refund, 2),
        (ticket_worked, 6), (profile_edited, 6), (suspended, 1), (reactivated, 1), (message_deleted, 3), (job_ran, 4),
    ]  # fmt: skip


def _refund_step(ctx: DemoContext, refund: RefundRef) -> tuple[int, dict, datetime]:
    """One step ``refund`` went through (asked for, decided, processed), as billing.services audits it:
    (who took it, the changes recorded, when)."""
    steps: list[tuple[int, str | None, str, datetime]] = [
        (refund.requested_by, None, RefundStatus.REQUESTED, refund.requested_at)
    ]
    if refund.decided_by is not None and refund.decided_at is not None:
        decision = RefundStatus.REJECTED if refund.status == RefundStatus.REJECTED else RefundStatus.APPROVED
        steps.append((refund.decided_by, RefundStatus.REQUESTED, decision, refund.decided_at))
    if refund.processed_by is not None and refund.processed_at is not None:
        steps.append((refund.processed_by, RefundStatus.APPROVED, RefundStatus.PROCESSED, refund.processed_at))
    actor, before, after, when = ctx.pick(steps)
    changes: dict = {
        "payment": refund.payment_id,
        "amount": str(refund.amount),
        "status": [before, after],
        "reason": refund.reason,
    }
    if refund.decision_note and after != RefundStatus.REQUESTED:
        changes["decision_note"] = refund.decision_note
    if after == RefundStatus.PROCESSED:
        changes["platform_fee_reversed"] = str(refund.platform_fee_reversed)
        changes["consultant_amount_reversed"] = str(refund.consultant_amount_reversed)
    return actor, changes, when
