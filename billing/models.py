"""Commission rules, payments and refunds. Money is Decimal, never float."""

from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import DateRangeField, RangeOperators
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Coalesce, Round
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.constraints import PostgreSQLExclusionConstraint
from core.models import TimeStampedModel


class DateRange(models.Func):
    """PostgreSQL's ``daterange(start, end, '[]')``: both ends included, no end meaning open-ended."""

    function = "DATERANGE"
    output_field = DateRangeField()


def in_cents(expression) -> Round:
    """A sum of amounts, rounded to cents, for constraints: exact already on PostgreSQL (NUMERIC), and on
    SQLite, which keeps decimals as binary floating point, it makes 7.59 + 43.01 equal 50.60 again."""
    return Round(expression, 2)


# A rule's scope as two numbers, 0 standing for "none", so rules of the same scope compare equal (NULL
# never equals NULL in a constraint).
SCOPE_SERVICE = Coalesce(models.F("service"), models.Value(0))
SCOPE_CATEGORY = Coalesce(models.F("category"), models.Value(0))


class ServiceCommission(TimeStampedModel):
    """The platform's cut, in percent, for a service, a category, or (neither set) the platform default.

    The rate that applies to a booking is the service's, else its category's, else the default, as in
    force on the booking's date.
    """

    service = models.ForeignKey(
        "consultants.Service",
        verbose_name=_("service"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="commissions",
    )
    category = models.ForeignKey(
        "consultants.ServiceCategory",
        verbose_name=_("category"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="commissions",
    )
    rate_percent = models.DecimalField(verbose_name=_("rate percent"), max_digits=5, decimal_places=2)
    effective_from = models.DateField(verbose_name=_("effective from"))
    effective_to = models.DateField(
        verbose_name=_("effective to"), null=True, blank=True, help_text=_("Empty means open-ended.")
    )
    is_active = models.BooleanField(verbose_name=_("is active"), default=True)

    class Meta:
        verbose_name = _("service commission")
        verbose_name_plural = _("service commissions")
        ordering = ["-effective_from"]
        constraints = [
            models.CheckConstraint(
                condition=~(models.Q(service__isnull=False) & models.Q(category__isnull=False)),
                name="billing_commission_service_xor_category",
                violation_error_message=_("A rule applies to a service or to a category, not to both."),
            ),
            models.CheckConstraint(
                condition=models.Q(rate_percent__gte=0) & models.Q(rate_percent__lte=100),
                name="billing_commission_rate_0_100",
                violation_error_message=_("The rate must be between 0 and 100 percent."),
            ),
            models.CheckConstraint(
                condition=models.Q(effective_to__isnull=True) | models.Q(effective_to__gte=models.F("effective_from")),
                name="billing_commission_period_ordered",
                violation_error_message=_("The rule cannot end before it starts."),
            ),
            # At most one active rule per scope on any day (``clean`` says which one overlaps).
            PostgreSQLExclusionConstraint(
                name="billing_commission_no_overlap",
                expressions=[
                    (SCOPE_SERVICE, RangeOperators.EQUAL),
                    (SCOPE_CATEGORY, RangeOperators.EQUAL),
                    (DateRange("effective_from", "effective_to", models.Value("[]")), RangeOperators.OVERLAPS),
                ],
                condition=models.Q(is_active=True),
            ),
        ]
        indexes = [
            # Resolving the rate in force: active rules by scope, latest first.
            models.Index(fields=["is_active", "effective_from"], name="billing_commission_active_idx"),
        ]

    def __str__(self):
        return f"{self.rate_percent}% · {self.scope_label}"

    @property
    def scope_label(self) -> str:
        if self.service_id:
            return gettext("service: %(service)s") % {"service": self.service}
        if self.category_id:
            return gettext("category: %(category)s") % {"category": self.category}
        return gettext("platform default")

    def clean(self):
        super().clean()
        if self.service_id and self.category_id:
            raise ValidationError(_("A rule applies to a service or to a category, not to both: choose one."))
        if self.effective_to and self.effective_from and self.effective_to < self.effective_from:
            raise ValidationError({"effective_to": _("The rule cannot end before it starts.")})
        if self.is_active and self.effective_from and (overlapping := self.overlapping_rule()) is not None:
            raise ValidationError(
                _(
                    "Another active rule for the same %(scope)s is in force on some of these days: %(rate)s%% from "
                    "%(start)s %(end)s. End that rule first, or choose days after it."
                )
                % {
                    "scope": self.scope_label,
                    "rate": overlapping.rate_percent,
                    "start": overlapping.effective_from.isoformat(),
                    "end": (
                        gettext("to %(day)s") % {"day": overlapping.effective_to.isoformat()}
                        if overlapping.effective_to
                        else gettext("with no end")
                    ),
                }
            )

    def overlapping_rule(self) -> "ServiceCommission | None":
        """Another active rule of the same scope in force on one of this rule's days, if any."""
        rules = ServiceCommission.objects.filter(
            service__isnull=self.service_id is None,
            category__isnull=self.category_id is None,
            is_active=True,
        )
        if self.service_id is not None:
            rules = rules.filter(service_id=self.service_id)
        if self.category_id is not None:
            rules = rules.filter(category_id=self.category_id)
        rules = rules.filter(models.Q(effective_to__isnull=True) | models.Q(effective_to__gte=self.effective_from))
        if self.effective_to is not None:
            rules = rules.filter(effective_from__lte=self.effective_to)
        if self.pk is not None:
            rules = rules.exclude(pk=self.pk)
        return rules.order_by("effective_from").first()


class PaymentStatus(models.TextChoices):
    PENDING = "PENDING", _("Pending")
    SUCCEEDED = "SUCCEEDED", _("Succeeded")
    FAILED = "FAILED", _("Failed")
    PARTIALLY_REFUNDED = "PARTIALLY_REFUNDED", _("Partially refunded")
    REFUNDED = "REFUNDED", _("Refunded")


def payment_currency_default() -> str:
    """The currency a new payment gets when none is given: ``settings.DEFAULT_CURRENCY``.

    Read when each payment is created, not when this module is imported, so the setting (and a test
    overriding it) is what applies. Migrations name this function, so it keeps its name and place.
    """
    return settings.DEFAULT_CURRENCY


class Payment(TimeStampedModel):
    """A client's payment for a booking, split into the platform's fee and the consultant's share."""

    booking = models.ForeignKey(
        "consultants.Booking", verbose_name=_("booking"), on_delete=models.PROTECT, related_name="payments"
    )
    payer = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("payer"), on_delete=models.PROTECT, related_name="payments"
    )
    amount = models.DecimalField(verbose_name=_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(verbose_name=_("currency"), max_length=3, default=payment_currency_default)
    status = models.CharField(
        verbose_name=_("status"), max_length=24, choices=PaymentStatus.choices, default=PaymentStatus.PENDING
    )
    platform_fee = models.DecimalField(
        verbose_name=_("platform fee"), max_digits=12, decimal_places=2, default=Decimal("0.00")
    )
    consultant_amount = models.DecimalField(
        verbose_name=_("consultant amount"), max_digits=12, decimal_places=2, default=Decimal("0.00")
    )
    provider_reference = models.CharField(verbose_name=_("provider reference"), max_length=100, blank=True)
    paid_at = models.DateTimeField(verbose_name=_("paid at"), null=True, blank=True)
    # What the fee was computed from, kept so later changes to the rules never alter a recorded payment.
    # Both empty: recorded with no rule in force, at PLATFORM_DEFAULT_COMMISSION_PERCENT (the rate is
    # kept), or before rules were stamped on payments (neither is).
    commission_rule = models.ForeignKey(
        ServiceCommission,
        verbose_name=_("commission rule"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="payments",
        db_index=False,  # indexed below, only where set
    )
    commission_rate_percent = models.DecimalField(
        verbose_name=_("commission rate percent"), max_digits=5, decimal_places=2, null=True, blank=True
    )
    # Money returned so far by processed refunds, and the part of it that was the platform's fee: the
    # consultant's share returned is the difference (billing.money.refund_reversal).
    refunded_amount = models.DecimalField(
        verbose_name=_("refunded amount"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0.00"),
        db_default=Decimal("0.00"),
    )
    platform_fee_refunded = models.DecimalField(
        verbose_name=_("platform fee refunded"),
        max_digits=12,
        decimal_places=2,
        default=Decimal("0.00"),
        db_default=Decimal("0.00"),
    )

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="billing_payment_amount_gt_0"),
            models.CheckConstraint(
                condition=models.Q(platform_fee__gte=0) & models.Q(consultant_amount__gte=0),
                name="billing_payment_split_gte_0",
            ),
            models.CheckConstraint(
                condition=models.Q(amount=in_cents(models.F("platform_fee") + models.F("consultant_amount"))),
                name="billing_payment_split_sums_to_amount",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=PaymentStatus.values), name="billing_payment_status_valid"
            ),
            # What was returned never exceeds what was paid, part by part.
            models.CheckConstraint(
                condition=models.Q(refunded_amount__gte=0, refunded_amount__lte=models.F("amount"))
                & models.Q(platform_fee_refunded__gte=0, platform_fee_refunded__lte=models.F("platform_fee"))
                & models.Q(
                    refunded_amount__lte=in_cents(models.F("platform_fee_refunded") + models.F("consultant_amount")),
                    refunded_amount__gte=models.F("platform_fee_refunded"),
                ),
                name="billing_payment_refunds_within",
            ),
            # The status says what the refunds did: all of it returned, part of it, or none.
            models.CheckConstraint(
                condition=models.Q(status=PaymentStatus.REFUNDED, refunded_amount=models.F("amount"))
                | models.Q(
                    status=PaymentStatus.PARTIALLY_REFUNDED,
                    refunded_amount__gt=0,
                    refunded_amount__lt=models.F("amount"),
                )
                | (
                    ~models.Q(status__in=[PaymentStatus.REFUNDED, PaymentStatus.PARTIALLY_REFUNDED])
                    & models.Q(refunded_amount=0)
                ),
                name="billing_payment_status_follows_refunds",
            ),
            # Recording a payment twice (a provider's retried callback) finds the first one.
            models.UniqueConstraint(
                fields=["provider_reference"],
                condition=~models.Q(provider_reference=""),
                name="billing_payment_provider_ref_uniq",
                violation_error_message=_("A payment with this provider reference is already recorded."),
            ),
        ]
        indexes = [
            # Deleting a commission rule checks that no payment names it (PROTECT).
            models.Index(
                fields=["commission_rule"],
                condition=models.Q(commission_rule__isnull=False),
                name="billing_payment_rule_idx",
            ),
            # Finance lists and revenue KPIs: payments by status and payment date.
            models.Index(fields=["status", "-paid_at"], name="billing_payment_status_idx"),
            models.Index(fields=["-paid_at"], name="billing_payment_paid_idx"),
            # The staff list, newest first, plain and filtered by status (id breaks timestamp ties).
            models.Index(fields=["-created_at", "-id"], name="billing_payment_created_idx"),
            models.Index(fields=["status", "-created_at", "-id"], name="billing_pay_status_created_idx"),
        ]

    def __str__(self):
        values = {"id": self.pk, "amount": self.amount, "currency": self.currency}
        return gettext("Payment #%(id)s · %(amount)s %(currency)s") % values


class RefundStatus(models.TextChoices):
    REQUESTED = "REQUESTED", _("Requested")
    APPROVED = "APPROVED", _("Approved")
    REJECTED = "REJECTED", _("Rejected")
    PROCESSED = "PROCESSED", _("Processed")


class Refund(TimeStampedModel):
    """Money returned from a payment. The refunds of a payment never add up to more than the payment."""

    payment = models.ForeignKey(Payment, verbose_name=_("payment"), on_delete=models.PROTECT, related_name="refunds")
    amount = models.DecimalField(verbose_name=_("amount"), max_digits=12, decimal_places=2)
    reason = models.TextField(verbose_name=_("reason"))
    status = models.CharField(
        verbose_name=_("status"), max_length=16, choices=RefundStatus.choices, default=RefundStatus.REQUESTED
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Approved or rejected: by whom, when, and (rejected) why.
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # indexed below, only where set
    )
    decided_at = models.DateTimeField(verbose_name=_("decided at"), null=True, blank=True)
    decision_note = models.TextField(verbose_name=_("reason for the decision"), blank=True)
    processed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("processed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # indexed below, only where set
    )
    processed_at = models.DateTimeField(verbose_name=_("processed at"), null=True, blank=True)
    # Set when processed: the parts of the platform's fee and of the consultant's share this refund took back.
    platform_fee_reversed = models.DecimalField(
        verbose_name=_("platform fee reversed"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    consultant_amount_reversed = models.DecimalField(
        verbose_name=_("consultant amount reversed"), max_digits=12, decimal_places=2, null=True, blank=True
    )

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="billing_refund_amount_gt_0"),
            models.CheckConstraint(
                condition=models.Q(status__in=RefundStatus.values), name="billing_refund_status_valid"
            ),
            # Approved, rejected or processed: decided at some moment; rejected: for a reason.
            models.CheckConstraint(
                condition=models.Q(status=RefundStatus.REQUESTED) | models.Q(decided_at__isnull=False),
                name="billing_refund_decision_dated",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=RefundStatus.REJECTED) | ~models.Q(decision_note=""),
                name="billing_refund_rejection_explained",
            ),
            # Processed, and only then: when, and the two reversed parts, which add up to the amount.
            models.CheckConstraint(
                condition=models.Q(
                    status=RefundStatus.PROCESSED,
                    processed_at__isnull=False,
                    platform_fee_reversed__gte=0,
                    consultant_amount_reversed__gte=0,
                    amount=in_cents(models.F("platform_fee_reversed") + models.F("consultant_amount_reversed")),
                )
                | (
                    ~models.Q(status=RefundStatus.PROCESSED)
                    & models.Q(
                        processed_at__isnull=True,
                        platform_fee_reversed__isnull=True,
                        consultant_amount_reversed__isnull=True,
                    )
                ),
                name="billing_refund_processed_split",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="billing_refund_status_idx"),
            # Deleting a user clears what they decided or processed (SET_NULL): found without a scan.
            models.Index(
                fields=["decided_by"], condition=models.Q(decided_by__isnull=False), name="billing_refund_decider_idx"
            ),
            models.Index(
                fields=["processed_by"],
                condition=models.Q(processed_by__isnull=False),
                name="billing_refund_processor_idx",
            ),
        ]

    def __str__(self):
        return gettext("Refund #%(id)s · %(amount)s") % {"id": self.pk, "amount": self.amount}
