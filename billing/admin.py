"""Admin for money: commission rules, payments and their refunds."""

from django.contrib import admin

from billing.models import Payment, Refund, ServiceCommission
from core.admin_performance import LargeTableAdminMixin


@admin.register(ServiceCommission)
class ServiceCommissionAdmin(admin.ModelAdmin):
    list_display = ("scope_label", "rate_percent", "effective_from", "effective_to", "is_active")
    list_filter = ("is_active", "category")
    search_fields = ("service__title", "category__name")
    autocomplete_fields = ("service", "category")
    list_select_related = ("service", "category")
    readonly_fields = ("created_at", "updated_at")

    @admin.display(description="applies to")
    def scope_label(self, commission: ServiceCommission) -> str:
        return commission.scope_label


class RefundInline(admin.TabularInline):
    model = Refund
    extra = 0
    fields = ("amount", "reason", "status", "requested_by", "processed_at", "created_at")
    readonly_fields = ("created_at",)
    autocomplete_fields = ("requested_by",)


@admin.register(Payment)
class PaymentAdmin(LargeTableAdminMixin, admin.ModelAdmin):
    list_display = ("id", "booking", "payer", "amount", "currency", "status", "paid_at")
    list_filter = ("status", "paid_at")
    # Not by `paid_at`: failed and pending payments have none, and ordering by it makes those tens of
    # thousands of NULLs one tie that PostgreSQL must sort in full (370 ms a page at a million rows).
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    search_fields = ("=payer__email",)
    search_help_text = "The payer's exact e-mail address."
    autocomplete_fields = ("booking", "payer")
    list_select_related = ("booking__service", "payer")
    readonly_fields = ("created_at", "updated_at")
    inlines = (RefundInline,)


@admin.register(Refund)
class RefundAdmin(LargeTableAdminMixin, admin.ModelAdmin):
    list_display = ("id", "payment", "amount", "status", "requested_by", "processed_at", "created_at")
    list_filter = ("status",)
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    search_fields = ("=requested_by__email",)
    search_help_text = "The requester's exact e-mail address."
    autocomplete_fields = ("payment", "requested_by")
    list_select_related = ("payment", "requested_by")
    readonly_fields = ("created_at", "updated_at")
