"""Admin for money: commission rules, and payments and refunds as a read-only window.

Payments and refunds are written only by ``billing.services`` (the split, the four-eyes decision, the
reversal and the payment's totals change together there), so the admin never adds, changes or deletes
them, for superusers too. It shows what happened (the split and the rule it came from, what was returned,
who asked, decided and processed, when and why) and acts through the services: the refund list's actions
approve or process each selected refund with its own service call. Rejecting needs a reason the payer is
told, so it is done on the finance page.
"""

from collections.abc import Callable

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext, ngettext_lazy
from django.utils.translation import gettext_lazy as _

from accounts.rbac_catalog import APPROVE_REFUND, PROCESS_REFUND
from accounts.selectors import users_matching
from billing.models import Payment, Refund, RefundStatus, ServiceCommission
from billing.services import refund_approve, refund_process
from core.admin_performance import LargeTableAdminMixin
from core.admin_search import PeopleSearchAdminMixin
from core.formatting import money, quantity

# What a rule says, fixed once a payment was split by it; it can still be ended or switched off.
RULE_TERMS = ("service", "category", "rate_percent", "effective_from")
# The finance page (billing.urls), where a refund is rejected with the reason the payer is told.
FINANCE_REFUNDS_URL = "billing:refunds"


def _who_and_when(user, moment) -> str:
    if moment is None:
        return ""
    when = timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")
    return gettext("%(who)s, %(when)s") % {"who": user or gettext("not recorded"), "when": when}


class _ReadOnlyMoneyAdmin:
    """Payments and refunds: viewed (``view_*``), never added, changed or deleted here."""

    def has_add_permission(self, request: HttpRequest, obj=None) -> bool:
        """Never: payments are recorded by the payment provider's callback, refunds asked for on the
        finance page (``billing.services``)."""
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        """Never: the amounts, the split and the workflow's stamps change only through the services."""
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        """Never: money records are kept (the audit trail and the accounts name them)."""
        return False


def _payments_using_rule() -> Coalesce:
    """How many payments were split by the row's rule; one index lookup for each row shown."""
    counted = (
        Payment.objects.filter(commission_rule=OuterRef("pk"))
        .order_by()
        .values("commission_rule")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), 0)


@admin.register(ServiceCommission)
class ServiceCommissionAdmin(admin.ModelAdmin):
    """Commission rules. The form refuses a rule that overlaps another active rule of its scope
    (``ServiceCommission.clean``). Once a payment was split by a rule, what the rule says (its scope, rate
    and start) is read-only and it cannot be deleted: it can only be ended or switched off, so a recorded
    payment always names the rule as it was applied."""

    list_display = ("scope_label", "rate_display", "effective_from", "effective_to", "is_active", "payments_count")
    list_filter = ("is_active", "category")
    search_fields = ("service__title", "category__name")
    autocomplete_fields = ("service", "category")
    list_select_related = ("service", "category")
    readonly_fields = ("payments_count", "created_at", "updated_at")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).annotate(payments_using=_payments_using_rule())

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        fields = tuple(super().get_readonly_fields(request, obj))
        if obj is not None and self._used(obj):
            fields = (*RULE_TERMS, *fields)
        return fields

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        """As ``billing.delete_servicecommission`` allows, and never for a rule payments were split by."""
        if obj is not None and self._used(obj):
            return False
        return super().has_delete_permission(request, obj)

    @staticmethod
    def _used(commission: ServiceCommission) -> bool:
        count = getattr(commission, "payments_using", None)
        return bool(count) if count is not None else commission.payments.exists()

    @admin.display(description=_("applies to"))
    def scope_label(self, commission: ServiceCommission) -> str:
        return commission.scope_label

    @admin.display(description=_("rate"), ordering="rate_percent")
    def rate_display(self, commission: ServiceCommission) -> str:
        return quantity(commission.rate_percent, "%")

    @admin.display(description=_("payments split by it"))
    def payments_count(self, commission: ServiceCommission) -> str:
        count = getattr(commission, "payments_using", None)
        if count is None:
            count = commission.payments.count() if commission.pk else 0
        return quantity(count)


class RefundInline(_ReadOnlyMoneyAdmin, admin.StackedInline):
    """A payment's refunds as they went: how much, who asked and why, who decided and processed (stacked:
    the reasons are long, and a phone shows them without scrolling sideways)."""

    model = Refund
    extra = 0
    show_change_link = True
    fields = ("amount_display", "status", "reason", "requested", "decided", "processed")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("payment", "requested_by", "decided_by", "processed_by")

    @admin.display(description=_("amount"))
    def amount_display(self, refund: Refund) -> str:
        return money(refund.amount, refund.payment.currency)

    @admin.display(description=_("Requested"))
    def requested(self, refund: Refund) -> str:
        return _who_and_when(refund.requested_by, refund.created_at)

    @admin.display(description=_("decided"))
    def decided(self, refund: Refund) -> str:
        decided = _who_and_when(refund.decided_by, refund.decided_at)
        return f"{decided}: {refund.decision_note}" if decided and refund.decision_note else decided

    @admin.display(description=_("Processed"))
    def processed(self, refund: Refund) -> str:
        processed = _who_and_when(refund.processed_by, refund.processed_at)
        return f"{processed}; {_reversal(refund)}" if processed else ""


def _reversal(refund: Refund) -> str:
    if refund.platform_fee_reversed is None or refund.consultant_amount_reversed is None:
        return ""
    return gettext("%(fee)s of the platform fee, %(share)s of the consultant's share") % {
        "fee": money(refund.platform_fee_reversed, refund.payment.currency),
        "share": money(refund.consultant_amount_reversed, refund.payment.currency),
    }


@admin.register(Payment)
class PaymentAdmin(_ReadOnlyMoneyAdmin, PeopleSearchAdminMixin, LargeTableAdminMixin, admin.ModelAdmin):
    """Payments, read-only: the amount, its split and the rule it came from, and what was returned."""

    list_display = ("id", "booking", "payer", "amount_display", "status", "paid_at")
    list_filter = ("status", "paid_at")
    # Not by `paid_at`: failed and pending payments have none, and ordering by it makes those tens of
    # thousands of NULLs one tie that PostgreSQL must sort in full (370 ms a page at a million rows).
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    search_fields = ("=payer__email",)
    # The payer, and the client and consultant of the session paid for.
    people_search_fields = ("payer", "booking__client", "booking__consultant__user")
    people_matching = staticmethod(users_matching)
    search_help_text = _(
        "Part of the payer's, the client's or the consultant's name or e-mail (at least 3 characters)."
    )
    list_select_related = ("booking__service", "payer")
    fieldsets = (
        (None, {"fields": ("booking", "payer", "amount_display", "status", "paid_at", "provider_reference")}),
        (_("Split"), {"fields": ("split_display", "commission_display")}),
        (_("Refunds"), {"fields": ("refunded_display",)}),
        (_("Record"), {"fields": ("created_at", "updated_at")}),
    )
    readonly_fields = (
        "booking", "payer", "amount_display", "status", "paid_at", "provider_reference", "split_display",
        "commission_display", "refunded_display", "created_at", "updated_at",
    )  # fmt: skip
    inlines = (RefundInline,)

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, payment: Payment) -> str:
        return money(payment.amount, payment.currency)

    @admin.display(description=_("split"))
    def split_display(self, payment: Payment) -> str:
        if payment.pk is None:
            return ""
        return gettext("%(fee)s platform fee, %(share)s to the consultant") % {
            "fee": money(payment.platform_fee, payment.currency),
            "share": money(payment.consultant_amount, payment.currency),
        }

    @admin.display(description=_("commission"))
    def commission_display(self, payment: Payment) -> str:
        rate = quantity(payment.commission_rate_percent, "%")
        if payment.commission_rule_id is not None:
            rule = payment.commission_rule
            return gettext("%(rate)s, by rule #%(id)s (%(scope)s)") % {
                "rate": rate,
                "id": payment.commission_rule_id,
                "scope": rule.scope_label if rule is not None else "",
            }
        if payment.commission_rate_percent is not None:
            return gettext("%(rate)s, the platform default: no rule was in force") % {"rate": rate}
        return gettext("Not recorded (paid before payments kept their rule)")

    @admin.display(description=_("refunded"))
    def refunded_display(self, payment: Payment) -> str:
        if not payment.refunded_amount:
            return gettext("Nothing refunded")
        return gettext("%(refunded)s: %(fee)s of the platform fee, %(share)s of the consultant's share") % {
            "refunded": money(payment.refunded_amount, payment.currency),
            "fee": money(payment.platform_fee_refunded, payment.currency),
            "share": money(payment.refunded_amount - payment.platform_fee_refunded, payment.currency),
        }


@admin.register(Refund)
class RefundAdmin(_ReadOnlyMoneyAdmin, LargeTableAdminMixin, admin.ModelAdmin):
    """Refunds, read-only, with actions that approve or process the selected ones through the services
    (each in its own call: one refusal, reported by name, leaves the others done)."""

    list_display = (
        "id", "payment", "amount_display", "status", "requested_by", "decided_by", "processed_at", "created_at",
    )  # fmt: skip
    list_filter = ("status",)
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    search_fields = ("=requested_by__email",)
    search_help_text = _("The requester's exact e-mail address.")
    list_select_related = ("payment", "requested_by", "decided_by")
    fieldsets = (
        (None, {"fields": ("payment", "amount_display", "reason", "status", "next_step")}),
        (_("Requested"), {"fields": ("requested_by", "created_at")}),
        (_("Decided"), {"fields": ("decided_by", "decided_at", "decision_note")}),
        (_("Processed"), {"fields": ("processed_by", "processed_at", "reversal_display")}),
    )
    readonly_fields = (
        "payment", "amount_display", "reason", "status", "next_step", "requested_by", "created_at", "decided_by",
        "decided_at", "decision_note", "processed_by", "processed_at", "reversal_display",
    )  # fmt: skip
    actions = ("approve_selected", "process_selected")

    def has_approve_permission(self, request: HttpRequest) -> bool:
        """Offers "Approve selected refunds" to holders of ``billing.approve_refund`` (the service
        checks it again, and that nobody decides their own request)."""
        return request.user.has_perm(APPROVE_REFUND)

    def has_process_permission(self, request: HttpRequest) -> bool:
        """Offers "Process selected refunds" to holders of ``billing.process_refund``."""
        return request.user.has_perm(PROCESS_REFUND)

    @admin.action(description=_("Approve selected refunds"), permissions=("approve",))
    def approve_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        done = ngettext_lazy("%(count)d refund approved.", "%(count)d refunds approved.", "count")
        self._each(request, queryset, lambda refund: refund_approve(refund=refund, approved_by=request.user), done)

    @admin.action(description=_("Process selected refunds"), permissions=("process",))
    def process_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        done = ngettext_lazy("%(count)d refund processed.", "%(count)d refunds processed.", "count")
        self._each(request, queryset, lambda refund: refund_process(refund=refund, processed_by=request.user), done)

    def _each(self, request: HttpRequest, queryset: QuerySet, act: Callable[[Refund], object], done) -> None:
        """Runs ``act`` on each selected refund, in order of id, and says how many went through and why
        each of the others was refused."""
        succeeded, refused = 0, []
        for refund in queryset.order_by("pk"):
            try:
                act(refund)
            except (PermissionDenied, ValidationError) as refusal:
                reasons = refusal.messages if isinstance(refusal, ValidationError) else [str(refusal)]
                refused.append(f"{refund}: {' '.join(reasons)}")
            else:
                succeeded += 1
        if succeeded:
            self.message_user(request, done % {"count": succeeded}, messages.SUCCESS)
        for reason in refused:
            self.message_user(request, reason, messages.ERROR)

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, refund: Refund) -> str:
        return money(refund.amount, refund.payment.currency)

    @admin.display(description=_("reversed"))
    def reversal_display(self, refund: Refund) -> str:
        return _reversal(refund)

    @admin.display(description=_("next step"))
    def next_step(self, refund: Refund) -> str:
        if refund.status == RefundStatus.APPROVED:
            return gettext('Process it with "Process selected refunds" on the list of refunds.')
        if refund.status != RefundStatus.REQUESTED:
            return gettext("None: the refund is %(status)s.") % {"status": refund.get_status_display().lower()}
        step = gettext('Approve it with "Approve selected refunds" on the list of refunds, or reject it')
        where = gettext("on the finance page, with the reason the payer is told")
        return format_html('{} <a href="{}">{}</a>.', step, reverse(FINANCE_REFUNDS_URL), where)
