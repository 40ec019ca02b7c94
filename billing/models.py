"""Commission rules, payments and refunds. Money is Decimal, never float."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel


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
            ),
            models.CheckConstraint(
                condition=models.Q(rate_percent__gte=0) & models.Q(rate_percent__lte=100),
                name="billing_commission_rate_0_100",
            ),
            models.CheckConstraint(
                condition=models.Q(effective_to__isnull=True) | models.Q(effective_to__gte=models.F("effective_from")),
                name="billing_commission_period_ordered",
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
            return f"service: {self.service}"
        if self.category_id:
            return f"category: {self.category}"
        return "platform default"


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
                condition=models.Q(amount=models.F("platform_fee") + models.F("consultant_amount")),
                name="billing_payment_split_sums_to_amount",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=PaymentStatus.values), name="billing_payment_status_valid"
            ),
        ]
        indexes = [
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
    processed_at = models.DateTimeField(verbose_name=_("processed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(amount__gt=0), name="billing_refund_amount_gt_0"),
            models.CheckConstraint(
                condition=models.Q(status__in=RefundStatus.values), name="billing_refund_status_valid"
            ),
        ]
        indexes = [models.Index(fields=["status", "-created_at"], name="billing_refund_status_idx")]

    def __str__(self):
        return gettext("Refund #%(id)s · %(amount)s") % {"id": self.pk, "amount": self.amount}
