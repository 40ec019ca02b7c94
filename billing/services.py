"""Writes for billing: recording payments, and refunds from request to processing.

Money changes only here. Every function is keyword-only, runs in one transaction, and refuses what it
cannot do with a ``ValidationError`` whose message a person can act on, having written nothing.

The arithmetic is ``billing.money``'s; the refund rules are:

- requested refunds count against the payment as soon as they are asked for (a rejection releases
  them), so what is requested, approved and processed together never exceeds the payment. The payment's
  row is locked while that is checked (``SELECT ... FOR UPDATE``), so concurrent requests queue there;
- a refund is approved or rejected by someone holding ``billing.approve_refund`` other than whoever
  asked for it (four eyes on money leaving), and processed by someone holding ``billing.process_refund``;
- processing reverses the fee and the consultant's share in proportion and moves the payment's status.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, Model, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import NotificationChannel
from accounts.rbac_catalog import ADD_REFUND, APPROVE_REFUND, PROCESS_REFUND
from accounts.services.notifications import notifications_create
from auditing.models import AuditAction
from auditing.services import audit_record, entity_type_of
from billing import money
from billing.models import Payment, PaymentStatus, Refund, RefundStatus, ServiceCommission
from billing.selectors import commission_rule_for
from consultants.models import Booking, BookingStatus
from core.formatting import money as money_format

# The default commission rule seeded on a fresh platform applies from before any booking we hold.
DEFAULT_COMMISSION_EFFECTIVE_FROM = date(2020, 1, 1)
REASON_MAX_LENGTH = 2_000
PROVIDER_REFERENCE_MAX_LENGTH = 100  # Payment.provider_reference
# Refunds that hold part of the payment: all but the rejected.
HOLDING_STATUSES = (RefundStatus.REQUESTED, RefundStatus.APPROVED, RefundStatus.PROCESSED)
REFUNDABLE_STATUSES = (PaymentStatus.SUCCEEDED, PaymentStatus.PARTIALLY_REFUNDED)


# Payments


def payment_record(*, booking: Booking, amount, currency: str, provider_reference: str, paid_by) -> Payment:
    """Records a succeeded payment for ``booking``: ``amount`` in ``currency``, split into the platform's
    fee and the consultant's share by the commission rule in force today (``commission_rule_for``; with
    none in force, ``PLATFORM_DEFAULT_COMMISSION_PERCENT``). The rule and rate are kept on the payment.

    Idempotent on ``provider_reference``: recording a reference already recorded for the same booking,
    amount and currency returns that payment and writes nothing, also when two calls race. The same
    reference with different details is refused. A PAYMENT event is audited.
    """
    currency = str(currency or "").strip().upper()
    amount = money.amount_clean(amount, currency)
    reference = _reference_clean(provider_reference)
    if (existing := _payment_with_reference(reference)) is not None:
        return _same_payment_or_refuse(existing, booking=booking, amount=amount, currency=currency)
    if booking.status == BookingStatus.CANCELLED:
        raise ValidationError(_("This session was cancelled: it cannot be paid for."), code="booking_cancelled")
    if not paid_by.is_active:
        raise ValidationError(_("The payer's account is not active."), code="payer_inactive")
    paid_at = timezone.now()
    rule = commission_rule_for(service=booking.service, day=timezone.localdate(paid_at))
    rate = rule.rate_percent if rule is not None else settings.PLATFORM_DEFAULT_COMMISSION_PERCENT
    split = money.payment_split(amount=amount, rate_percent=rate, currency=currency)
    try:
        with transaction.atomic():
            payment = Payment.objects.create(
                booking=booking,
                payer=paid_by,
                amount=amount,
                currency=currency,
                status=PaymentStatus.SUCCEEDED,
                platform_fee=split.platform_fee,
                consultant_amount=split.consultant_amount,
                provider_reference=reference,
                paid_at=paid_at,
                commission_rule=rule,
                commission_rate_percent=rate,
            )
            audit_record(
                action=AuditAction.PAYMENT,
                entity=payment,
                changes={
                    "booking": booking.pk,
                    "amount": f"{amount} {currency}",
                    "platform_fee": str(split.platform_fee),
                    "consultant_amount": str(split.consultant_amount),
                    "commission_rate_percent": str(rate),
                    "commission_rule": rule.pk if rule is not None else None,
                    "provider_reference": reference,
                },
            )
    except IntegrityError:
        # The same reference recorded by a concurrent call between our look and our insert.
        if (existing := _payment_with_reference(reference)) is None:
            raise
        return _same_payment_or_refuse(existing, booking=booking, amount=amount, currency=currency)
    return payment


def _reference_clean(reference: str) -> str:
    reference = str(reference or "").strip()
    if not reference:
        raise ValidationError(_("The payment provider's reference is required."), code="reference_required")
    if len(reference) > PROVIDER_REFERENCE_MAX_LENGTH or "\x00" in reference:
        raise ValidationError(_("That is not a payment provider's reference."), code="reference_invalid")
    return reference


def _payment_with_reference(reference: str) -> Payment | None:
    return Payment.objects.filter(provider_reference=reference).first()


def _same_payment_or_refuse(existing: Payment, *, booking: Booking, amount: Decimal, currency: str) -> Payment:
    if (existing.booking_id, existing.amount, existing.currency) != (booking.pk, amount, currency):
        raise ValidationError(
            _("The provider reference %(reference)s is already recorded for another payment (#%(id)s).")
            % {"reference": existing.provider_reference, "id": existing.pk},
            code="reference_taken",
        )
    return existing


# Refunds


@transaction.atomic
def refund_request(*, payment: Payment, amount, reason: str, requested_by) -> Refund:
    """Asks for ``amount`` of ``payment`` back. Refused unless the requester holds ``billing.add_refund``,
    the payment succeeded, the reason is given and the amount fits in what no other refund holds yet."""
    _require(requested_by, ADD_REFUND, _("You may not ask for refunds."))
    reason = _text_clean(reason, _("Say why the money goes back."))
    payment = Payment.objects.select_for_update().get(pk=payment.pk)
    amount = money.amount_clean(amount, payment.currency, what=_("The refund"))
    if payment.status not in REFUNDABLE_STATUSES:
        raise ValidationError(
            _("Payment #%(id)s is %(status)s: only a succeeded payment can be refunded.")
            % {"id": payment.pk, "status": payment.get_status_display().lower()},
            code="not_refundable",
        )
    available = payment.amount - refunds_holding(payment)
    if amount > available:
        raise ValidationError(
            _("At most %(available)s %(currency)s of payment #%(id)s can still be refunded.")
            % {"available": available, "currency": payment.currency, "id": payment.pk},
            code="above_remaining",
        )
    refund = Refund.objects.create(payment=payment, amount=amount, reason=reason, requested_by=requested_by)
    _audit_refund(refund, before=None, actor=requested_by)
    return refund


def refunds_holding(payment: Payment) -> Decimal:
    """What the payment's requested, approved and processed refunds add up to."""
    total = payment.refunds.filter(status__in=HOLDING_STATUSES).aggregate(total=Sum("amount"))["total"]
    return total or Decimal(0)


@transaction.atomic
def refund_approve(*, refund: Refund, approved_by) -> Refund:
    """Approves a requested refund. Refused for someone without ``billing.approve_refund``, for the person
    who asked for it, and for a refund no longer waiting for a decision (approved twice, say)."""
    refund = _refund_for_decision(refund, approved_by)
    refund.status = RefundStatus.APPROVED
    refund.decided_by, refund.decided_at = approved_by, timezone.now()
    refund.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
    _audit_refund(refund, before=RefundStatus.REQUESTED, actor=approved_by)
    return refund


@transaction.atomic
def refund_reject(*, refund: Refund, rejected_by, reason: str) -> Refund:
    """Rejects a requested refund, for ``reason`` (told to the payer); what it held of the payment is
    free again. Refused as ``refund_approve`` refuses, and without a reason."""
    reason = _text_clean(reason, _("Say why the refund is rejected: the payer is told."))
    refund = _refund_for_decision(refund, rejected_by)
    refund.status = RefundStatus.REJECTED
    refund.decided_by, refund.decided_at, refund.decision_note = rejected_by, timezone.now(), reason
    refund.save(update_fields=["status", "decided_by", "decided_at", "decision_note", "updated_at"])
    _audit_refund(refund, before=RefundStatus.REQUESTED, actor=rejected_by)
    values = {"amount": money_format(refund.amount, refund.payment.currency), "id": refund.payment_id}
    notifications_create(
        users=[refund.payment.payer],
        title=_("Your refund of %(amount)s was declined") % values,
        body=reason,
        channels=(NotificationChannel.IN_APP, NotificationChannel.EMAIL),
    )
    return refund


@transaction.atomic
def refund_process(*, refund: Refund, processed_by) -> Refund:
    """Returns an approved refund's money: reverses the fee and the consultant's share in proportion
    (``money.refund_reversal``), adds it to the payment's refunded totals, moves the payment to
    PARTIALLY_REFUNDED or REFUNDED, audits it and tells the payer. Refused without
    ``billing.process_refund`` and for a refund that is not approved."""
    _require(processed_by, PROCESS_REFUND, _("You may not process refunds."))
    # The payment first, as refund_request locks it: one order, so the two never deadlock.
    payment = Payment.objects.select_for_update().get(pk=refund.payment_id)
    refund = Refund.objects.select_for_update().get(pk=refund.pk)
    if refund.status != RefundStatus.APPROVED:
        raise ValidationError(
            _("Refund #%(id)s is %(status)s: only an approved refund can be processed.")
            % {"id": refund.pk, "status": refund.get_status_display().lower()},
            code="not_approved",
        )
    reversal = money.refund_reversal(
        amount=payment.amount,
        platform_fee=payment.platform_fee,
        refunded_before=payment.refunded_amount,
        platform_fee_refunded_before=payment.platform_fee_refunded,
        refund_amount=refund.amount,
        currency=payment.currency,
    )
    refund.status = RefundStatus.PROCESSED
    refund.processed_by, refund.processed_at = processed_by, timezone.now()
    refund.platform_fee_reversed = reversal.platform_fee
    refund.consultant_amount_reversed = reversal.consultant_amount
    refund.save(
        update_fields=[
            "status",
            "processed_by",
            "processed_at",
            "platform_fee_reversed",
            "consultant_amount_reversed",
            "updated_at",
        ]
    )
    payment.refunded_amount += refund.amount
    payment.platform_fee_refunded += reversal.platform_fee
    payment.status = (
        PaymentStatus.REFUNDED if payment.refunded_amount == payment.amount else PaymentStatus.PARTIALLY_REFUNDED
    )
    payment.save(update_fields=["refunded_amount", "platform_fee_refunded", "status", "updated_at"])
    refund.payment = payment
    _audit_refund(refund, before=RefundStatus.APPROVED, actor=processed_by)
    notifications_create(
        users=[payment.payer],
        title=_("Your refund of %(amount)s is on its way") % {"amount": money_format(refund.amount, payment.currency)},
        body=_("We have returned %(amount)s of your payment #%(id)s.")
        % {"amount": money_format(refund.amount, payment.currency), "id": payment.pk},
        channels=(NotificationChannel.IN_APP, NotificationChannel.EMAIL),
    )
    return refund


def _refund_for_decision(refund: Refund, actor) -> Refund:
    _require(actor, APPROVE_REFUND, _("You may not approve or reject refunds."))
    # The refund's row only: the payment and the payer are read, not locked (a payer's sign-in must not wait).
    refund = Refund.objects.select_for_update(of=("self",)).select_related("payment__payer").get(pk=refund.pk)
    if refund.status != RefundStatus.REQUESTED:
        raise ValidationError(
            _("Refund #%(id)s was already %(status)s.")
            % {"id": refund.pk, "status": refund.get_status_display().lower()},
            code="already_decided",
        )
    if refund.requested_by_id == actor.pk:
        raise ValidationError(
            _("You asked for this refund: someone else must approve or reject it."), code="own_request"
        )
    return refund


def _require(user, permission: str, refusal: str) -> None:
    if user is None or not user.is_active or not user.has_perm(permission):
        raise ValidationError(refusal, code="permission_denied")


def _text_clean(text: str, required: str) -> str:
    text = str(text or "").replace("\x00", "").strip()
    if not text:
        raise ValidationError(required, code="required")
    if len(text) > REASON_MAX_LENGTH:
        raise ValidationError(_("Keep it under %(limit)s characters.") % {"limit": REASON_MAX_LENGTH}, code="too_long")
    return text


def _audit_refund(refund: Refund, *, before: str | None, actor) -> None:
    changes = {
        "payment": refund.payment_id,
        "amount": str(refund.amount),
        "status": [before, refund.status],
        "reason": refund.reason,
    }
    if refund.decision_note:
        changes["decision_note"] = refund.decision_note
    if refund.status == RefundStatus.PROCESSED:
        changes["platform_fee_reversed"] = str(refund.platform_fee_reversed)
        changes["consultant_amount_reversed"] = str(refund.consultant_amount_reversed)
    # The person who moved it, also when no request is bound (a task, a command).
    audit_record(action=AuditAction.REFUND, entity=refund, changes=changes, actor=actor)


# Exports


def export_record(*, model: type[Model], filters: dict[str, str]) -> None:
    """Records that the bound user exported ``model``'s rows (payments, refunds), with the filter as typed."""
    audit_record(action=AuditAction.EXPORT, entity_type=entity_type_of(model), changes={"filters": filters})


# Commission rules


@transaction.atomic
def service_commission_seed_platform_default() -> ServiceCommission | None:
    """Create the platform-default commission (``PLATFORM_DEFAULT_COMMISSION_PERCENT``, from 2020-01-01)
    unless an active default rule exists that has not ended (including one that starts later: we never
    create overlapping defaults). Returns the rule created, or ``None`` if there was one."""
    active_defaults = ServiceCommission.objects.filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=timezone.localdate()),
        service__isnull=True,
        category__isnull=True,
        is_active=True,
    )
    if active_defaults.exists():
        return None
    # After any default that has ended, so the new one never overlaps it.
    ended = ServiceCommission.objects.filter(service__isnull=True, category__isnull=True, is_active=True)
    last_end = ended.aggregate(last=Max("effective_to"))["last"]
    starts = max(DEFAULT_COMMISSION_EFFECTIVE_FROM, last_end + timedelta(days=1)) if last_end else None
    commission = ServiceCommission(
        rate_percent=settings.PLATFORM_DEFAULT_COMMISSION_PERCENT,
        effective_from=starts or DEFAULT_COMMISSION_EFFECTIVE_FROM,
    )
    commission.full_clean()
    commission.save()
    return commission
