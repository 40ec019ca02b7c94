"""Admin for consultants, what they offer, the sessions booked with them, and what they deliver."""

from django.contrib import admin

from consultants.models import (
    Article,
    Booking,
    Consultant,
    ConsultantSpecialty,
    FeasibilityStudy,
    Message,
    Report,
    Service,
    ServiceCategory,
    Specialty,
)
from core.admin_performance import LargeTableAdminMixin


@admin.register(Specialty)
class SpecialtyAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "created_at")
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("created_at", "updated_at")


class ConsultantSpecialtyInline(admin.TabularInline):
    model = ConsultantSpecialty
    extra = 0
    autocomplete_fields = ("specialty",)


@admin.register(Consultant)
class ConsultantAdmin(admin.ModelAdmin):
    list_display = ("user", "hourly_rate", "is_verified", "created_at")
    list_filter = ("is_verified", "specialties")
    search_fields = ("user__email", "user__full_name")
    autocomplete_fields = ("user",)
    list_select_related = ("user",)
    readonly_fields = ("expertise_fields", "created_at", "updated_at")
    inlines = (ConsultantSpecialtyInline,)

    def get_queryset(self, request):
        # A consultant's name is its user's: without this, autocomplete results query once per row.
        return super().get_queryset(request).select_related("user")


@admin.register(ConsultantSpecialty)
class ConsultantSpecialtyAdmin(admin.ModelAdmin):
    list_display = ("consultant", "specialty", "created_at")
    list_filter = ("specialty",)
    search_fields = ("consultant__user__email", "consultant__user__full_name")
    autocomplete_fields = ("consultant", "specialty")
    list_select_related = ("consultant__user", "specialty")
    readonly_fields = ("created_at",)


@admin.register(ServiceCategory)
class ServiceCategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "created_at")
    search_fields = ("name",)
    prepopulated_fields = {"slug": ("name",)}
    readonly_fields = ("created_at", "updated_at")


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ("title", "consultant", "category", "price", "duration_minutes", "is_active")
    list_filter = ("is_active", "category")
    search_fields = ("title", "consultant__user__email", "consultant__user__full_name")
    autocomplete_fields = ("consultant", "category")
    list_select_related = ("consultant__user", "category")
    readonly_fields = ("created_at", "updated_at")


@admin.register(Booking)
class BookingAdmin(LargeTableAdminMixin, admin.ModelAdmin):
    list_display = ("id", "scheduled_at", "status", "client", "consultant", "service", "price")
    list_filter = ("status",)
    date_hierarchy = "scheduled_at"
    ordering = ("-scheduled_at",)
    search_fields = ("=client__email",)
    search_help_text = "The client's exact e-mail address."
    autocomplete_fields = ("client", "consultant", "service")
    list_select_related = ("client", "consultant__user", "service")
    readonly_fields = ("created_at", "updated_at")


class DeliverableAdmin(LargeTableAdminMixin, admin.ModelAdmin):
    """Reports and feasibility studies: a consultant's document for a client, maybe about a booking.

    They grow with the bookings, hence the large-table mixin.
    """

    list_display = ("title", "consultant", "client", "status", "delivered_at", "created_at")
    list_filter = ("status",)
    date_hierarchy = "created_at"
    search_fields = ("title", "client__email", "consultant__user__email")
    autocomplete_fields = ("consultant", "client", "booking")
    list_select_related = ("consultant__user", "client")
    readonly_fields = ("created_at", "updated_at")


admin.site.register(Report, DeliverableAdmin)
admin.site.register(FeasibilityStudy, DeliverableAdmin)


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ("title", "author", "status", "published_at", "created_at")
    list_filter = ("status",)
    search_fields = ("title", "author__user__full_name")
    prepopulated_fields = {"slug": ("title",)}
    autocomplete_fields = ("author",)
    list_select_related = ("author__user",)
    readonly_fields = ("created_at", "updated_at")


@admin.register(Message)
class MessageAdmin(LargeTableAdminMixin, admin.ModelAdmin):
    list_display = ("__str__", "sender", "recipient", "status", "created_at", "read_at")
    list_filter = ("status",)
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    search_fields = ("=sender__email", "=recipient__email")
    search_help_text = "The sender's or recipient's exact e-mail address."
    autocomplete_fields = ("sender", "recipient", "booking")
    list_select_related = ("sender", "recipient")
    readonly_fields = ("created_at", "updated_at")
