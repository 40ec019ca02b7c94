"""Admin for money: commission rules, payments and their refunds."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from accounts.rbac_catalog import ACT_FOR_USER
from accounts.selectors import users_matching
from billing.models import Payment, Refund, ServiceCommission
from core.admin_performance import LargeTableAdminMixin
from core.admin_search import PeopleSearchAdminMixin
from core.formatting import money, quantity
from core.owner_fields import OwnerField, OwnerFieldsAdminMixin, owner_fields_apply

# Who asked for a refund is the signed-in user, unless they may act for others.
REFUND_OWNER_FIELDS = (OwnerField("requested_by", permission=ACT_FOR_USER.codename),)


@admin.register(ServiceCommission)
class ServiceCommissionAdmin(admin.ModelAdmin):
    list_display = ("scope_label", "rate_display", "effective_from", "effective_to", "is_active")
    list_filter = ("is_active", "category")
    search_fields = ("service__title", "category__name")
    autocomplete_fields = ("service", "category")
    list_select_related = ("service", "category")
    readonly_fields = ("created_at", "updated_at")

    @admin.display(description=_("applies to"))
    def scope_label(self, commission: ServiceCommission) -> str:
        return commission.scope_label

    @admin.display(description=_("rate"), ordering="rate_percent")
    def rate_display(self, commission: ServiceCommission) -> str:
        return quantity(commission.rate_percent, "%")


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    fields = ("amount", "reason", "status", "requested_by", "processed_at", "created_at")
    # Set to whoever adds the refund (PaymentAdmin.save_formset), never chosen here.
    readonly_fields = ("requested_by", "created_at")


@admin.register(Payment)
class PaymentAdmin(PeopleSearchAdminMixin, LargeTableAdminMixin, admin.ModelAdmin):
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
    autocomplete_fields = ("booking", "payer")
    list_select_related = ("booking__service", "payer")
    readonly_fields = ("split_display", "created_at", "updated_at")
    inlines = (RefundInline,)

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, payment: Payment) -> str:
        return money(payment.amount, payment.currency)

    @admin.display(description=_("split"))
    def split_display(self, payment: Payment) -> str:
        if payment.pk is None:
            return ""
        return _("%(fee)s platform fee, %(share)s to the consultant") % {
            "fee": money(payment.platform_fee, payment.currency),
            "share": money(payment.consultant_amount, payment.currency),
        }

    def save_formset(self, request, form, formset, change):
        if formset.model is Refund:
            for refund in formset.save(commit=False):
                owner_fields_apply(instance=refund, actor=request.user, fields=REFUND_OWNER_FIELDS)
                refund.save()
            for refund in formset.deleted_objects:
                refund.delete()
            formset.save_m2m()
            return
        super().save_formset(request, form, formset, change)


@admin.register(Refund)
class RefundAdmin(OwnerFieldsAdminMixin, LargeTableAdminMixin, admin.ModelAdmin):
    owner_fields = REFUND_OWNER_FIELDS
    list_display = ("id", "payment", "amount_display", "status", "requested_by", "processed_at", "created_at")
    list_filter = ("status",)
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    search_fields = ("=requested_by__email",)
    search_help_text = _("The requester's exact e-mail address.")
    autocomplete_fields = ("payment", "requested_by")
    list_select_related = ("payment", "requested_by")
    readonly_fields = ("created_at", "updated_at")

    @admin.display(description=_("amount"), ordering="amount")
    def amount_display(self, refund: Refund) -> str:
        return money(refund.amount, refund.payment.currency)
