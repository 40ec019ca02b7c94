"""Admin for consultants, what they offer, the sessions booked with them, and what they deliver."""

from collections.abc import Callable

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from accounts.rbac_catalog import ACT_FOR_USER
from consultants.forms import ServiceForm
from consultants.models import (
    Article,
    ArticleStatus,
    Booking,
    Consultant,
    ConsultantSpecialty,
    DeliverableStatus,
    FeasibilityStudy,
    Message,
    Report,
    Service,
    ServiceCategory,
    Specialty,
)
from consultants.services import OWNER_FIELDS, article_status_set, deliverable_status_set, owned_record_save
from core.admin_performance import LargeTableAdminMixin
from core.owner_fields import OwnerField, OwnerFieldsAdminMixin


class OwnedRecordAdminMixin(OwnerFieldsAdminMixin):
    """The admin of a row someone owns (``consultants.services.OWNER_FIELDS``): the owner comes from the
    signed-in user unless they may act for others, and saving goes through ``owned_record_save``, the
    write path every other caller uses (owners, prices, workflow state)."""

    def __init__(self, model: type[Model], admin_site: admin.AdminSite) -> None:
        super().__init__(model, admin_site)
        self.owner_fields = OWNER_FIELDS[model]

    def save_model(self, request: HttpRequest, obj: Model, form, change: bool) -> None:
        owned_record_save(record=obj, actor=request.user)


def _move_each(request: HttpRequest, modeladmin: admin.ModelAdmin, queryset: QuerySet, move: Callable, done: str):
    """Runs ``move`` on each selected row through its service and says what moved and what was refused."""
    moved, refused = 0, []
    for record in queryset:
        try:
            move(record)
        except PermissionDenied as error:
            refused.append(f"{record}: {error}")
        except ValidationError as error:
            refused.append(f"{record}: {' '.join(error.messages)}")
        else:
            moved += 1
    if moved:
        modeladmin.message_user(request, f"{moved} {done}.", messages.SUCCESS)
    for reason in refused:
        modeladmin.message_user(request, reason, messages.ERROR)


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
class ConsultantAdmin(OwnerFieldsAdminMixin, admin.ModelAdmin):
    # Pointing a profile at another account hands that account every grant the consultant owns.
    owner_fields = (OwnerField("user", permission=ACT_FOR_USER.codename),)
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
class ServiceAdmin(OwnedRecordAdminMixin, admin.ModelAdmin):
    form = ServiceForm
    list_display = ("title", "consultant", "category", "price", "duration_minutes", "is_active")
    list_filter = ("is_active", "category")
    search_fields = ("title", "consultant__user__email", "consultant__user__full_name")
    autocomplete_fields = ("consultant", "category")
    list_select_related = ("consultant__user", "category")
    readonly_fields = ("created_at", "updated_at")


@admin.register(Booking)
class BookingAdmin(OwnedRecordAdminMixin, LargeTableAdminMixin, admin.ModelAdmin):
    list_display = ("id", "scheduled_at", "status", "client", "consultant", "service", "price")
    list_filter = ("status",)
    date_hierarchy = "scheduled_at"
    ordering = ("-scheduled_at",)
    search_fields = ("=client__email",)
    search_help_text = "The client's exact e-mail address."
    autocomplete_fields = ("client", "consultant", "service")
    list_select_related = ("client", "consultant__user", "service")
    readonly_fields = ("created_at", "updated_at")


class DeliverableAdmin(OwnedRecordAdminMixin, LargeTableAdminMixin, admin.ModelAdmin):
    """Reports and feasibility studies: a consultant's document for a client, maybe about a booking.

    They grow with the bookings, hence the large-table mixin. Their status moves only through the
    actions below (``deliverable_status_set``), which stamp ``delivered_at`` and check who moves them.
    """

    list_display = ("title", "consultant", "client", "status", "delivered_at", "created_at")
    list_filter = ("status",)
    date_hierarchy = "created_at"
    search_fields = ("title", "client__email", "consultant__user__email")
    autocomplete_fields = ("consultant", "client", "booking")
    list_select_related = ("consultant__user", "client")
    readonly_fields = ("status", "delivered_at", "created_at", "updated_at")
    actions = ("submit", "deliver", "archive")

    @admin.action(description="Submit the selected documents for review", permissions=("change",))
    def submit(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._move(request, queryset, DeliverableStatus.SUBMITTED, "submitted")

    @admin.action(description="Deliver the selected documents to their clients", permissions=("change",))
    def deliver(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._move(request, queryset, DeliverableStatus.DELIVERED, "delivered")

    @admin.action(description="Archive the selected documents", permissions=("change",))
    def archive(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._move(request, queryset, DeliverableStatus.ARCHIVED, "archived")

    def _move(self, request: HttpRequest, queryset: QuerySet, status: str, done: str) -> None:
        def move(deliverable):
            deliverable_status_set(deliverable=deliverable, status=status, actor=request.user)

        _move_each(request, self, queryset, move, done)


admin.site.register(Report, DeliverableAdmin)
admin.site.register(FeasibilityStudy, DeliverableAdmin)


@admin.register(Article)
class ArticleAdmin(OwnedRecordAdminMixin, admin.ModelAdmin):
    """A consultant's articles. Publishing and archiving are actions (``article_status_set``)."""

    list_display = ("title", "author", "status", "published_at", "created_at")
    list_filter = ("status",)
    search_fields = ("title", "author__user__full_name")
    prepopulated_fields = {"slug": ("title",)}
    autocomplete_fields = ("author",)
    list_select_related = ("author__user",)
    readonly_fields = ("status", "published_at", "created_at", "updated_at")
    actions = ("publish", "archive")

    @admin.action(description="Publish the selected articles", permissions=("change",))
    def publish(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._move(request, queryset, ArticleStatus.PUBLISHED, "published")

    @admin.action(description="Archive the selected articles", permissions=("change",))
    def archive(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._move(request, queryset, ArticleStatus.ARCHIVED, "archived")

    def _move(self, request: HttpRequest, queryset: QuerySet, status: str, done: str) -> None:
        def move(article):
            article_status_set(article=article, status=status, actor=request.user)

        _move_each(request, self, queryset, move, done)


@admin.register(Message)
class MessageAdmin(OwnedRecordAdminMixin, LargeTableAdminMixin, admin.ModelAdmin):
    list_display = ("__str__", "sender", "recipient", "status", "created_at", "read_at")
    list_filter = ("status",)
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    search_fields = ("=sender__email", "=recipient__email")
    search_help_text = "The sender's or recipient's exact e-mail address."
    autocomplete_fields = ("sender", "recipient", "booking")
    list_select_related = ("sender", "recipient")
    # Delivery state is the messaging system's record of what happened, not something staff set.
    readonly_fields = ("status", "read_at", "created_at", "updated_at")
