"""Admin for consultants, what they offer, the sessions booked with them, and what they deliver."""

from collections.abc import Callable

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from accounts.rbac_catalog import ACT_FOR_USER
from accounts.selectors import users_matching
from consultants.expertise_fields import expertise_names_parse, name_key
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
from core.admin_search import PeopleSearchAdminMixin
from core.formatting import duration, money
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


def _move_each(request: HttpRequest, modeladmin: admin.ModelAdmin, queryset: QuerySet, move: Callable, done):
    """Runs ``move`` on each selected row through its service and says what moved and what was refused.

    ``done`` says what moved, with ``%(count)d`` (an ``ngettext_lazy`` with ``"count"``)."""
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
        modeladmin.message_user(request, done % {"count": moved}, messages.SUCCESS)
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


def _default_money(amount) -> str | None:
    """Prices and rates are in the platform's currency (a payment records its own)."""
    return None if amount is None else money(amount, settings.DEFAULT_CURRENCY)


@admin.register(Consultant)
class ConsultantAdmin(PeopleSearchAdminMixin, OwnerFieldsAdminMixin, admin.ModelAdmin):
    # Pointing a profile at another account hands that account every grant the consultant owns.
    owner_fields = (OwnerField("user", permission=ACT_FOR_USER.codename),)
    list_display = ("user", "hourly_rate_display", "is_verified", "created_at")
    list_filter = ("is_verified", "specialties")
    search_fields = ("user__email", "user__full_name")
    people_search_fields = ("user",)
    people_matching = staticmethod(users_matching)
    autocomplete_fields = ("user",)
    list_select_related = ("user",)
    readonly_fields = ("expertise_fields", "created_at", "updated_at")
    inlines = (ConsultantSpecialtyInline,)

    def get_queryset(self, request):
        # A consultant's name is its user's: without this, autocomplete results query once per row.
        return super().get_queryset(request).select_related("user")

    def get_fields(self, request, obj=None):
        """The legacy ``expertise_fields`` only while they still say something the specialties do not."""
        fields = super().get_fields(request, obj)
        if obj is None or not expertise_differs_from_specialties(obj):
            fields = [name for name in fields if name != "expertise_fields"]
        return fields

    @admin.display(description=_("hourly rate"), ordering="hourly_rate")
    def hourly_rate_display(self, consultant: Consultant) -> str | None:
        return _default_money(consultant.hourly_rate)


def expertise_differs_from_specialties(consultant: Consultant) -> bool:
    """Whether the legacy list names specialties the consultant is not linked to, or cannot be read
    (names compared as the expertise migration compares them: cleaned, ignoring case)."""
    parsed = expertise_names_parse(consultant.expertise_fields)
    linked = {name_key(name) for name in consultant.specialties.values_list("name", flat=True)}
    return bool(parsed.problems) or {name_key(name) for name in parsed.names} != linked


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
    list_display = ("title", "consultant", "category", "price_display", "duration_display", "is_active")
    list_filter = ("is_active", "category")
    search_fields = ("title", "consultant__user__email", "consultant__user__full_name")
    autocomplete_fields = ("consultant", "category")
    list_select_related = ("consultant__user", "category")
    readonly_fields = ("created_at", "updated_at")

    @admin.display(description=_("price"), ordering="price")
    def price_display(self, service: Service) -> str | None:
        return _default_money(service.price)

    @admin.display(description=_("duration"), ordering="duration_minutes")
    def duration_display(self, service: Service) -> str:
        return duration(service.duration_minutes)


@admin.register(Booking)
class BookingAdmin(PeopleSearchAdminMixin, OwnedRecordAdminMixin, LargeTableAdminMixin, admin.ModelAdmin):
    list_display = ("id", "scheduled_at", "status", "client", "consultant", "service", "price_display")
    list_filter = ("status",)
    date_hierarchy = "scheduled_at"
    ordering = ("-scheduled_at",)
    search_fields = ("=client__email",)
    people_search_fields = ("client", "consultant__user")
    people_matching = staticmethod(users_matching)
    search_help_text = _("Part of the client's or the consultant's name or e-mail (at least 3 characters).")
    autocomplete_fields = ("client", "consultant", "service")
    list_select_related = ("client", "consultant__user", "service")
    readonly_fields = ("created_at", "updated_at")

    @admin.display(description=_("price"), ordering="price")
    def price_display(self, booking: Booking) -> str | None:
        return _default_money(booking.price)


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

    @admin.action(description=_("Submit the selected documents for review"), permissions=("change",))
    def submit(self, request: HttpRequest, queryset: QuerySet) -> None:
        done = ngettext_lazy("%(count)d submitted.", "%(count)d submitted.", "count")
        self._move(request, queryset, DeliverableStatus.SUBMITTED, done)

    @admin.action(description=_("Deliver the selected documents to their clients"), permissions=("change",))
    def deliver(self, request: HttpRequest, queryset: QuerySet) -> None:
        done = ngettext_lazy("%(count)d delivered.", "%(count)d delivered.", "count")
        self._move(request, queryset, DeliverableStatus.DELIVERED, done)

    @admin.action(description=_("Archive the selected documents"), permissions=("change",))
    def archive(self, request: HttpRequest, queryset: QuerySet) -> None:
        done = ngettext_lazy("%(count)d archived.", "%(count)d archived.", "count")
        self._move(request, queryset, DeliverableStatus.ARCHIVED, done)

    def _move(self, request: HttpRequest, queryset: QuerySet, status: str, done) -> None:
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

    @admin.action(description=_("Publish the selected articles"), permissions=("change",))
    def publish(self, request: HttpRequest, queryset: QuerySet) -> None:
        done = ngettext_lazy("%(count)d published.", "%(count)d published.", "count")
        self._move(request, queryset, ArticleStatus.PUBLISHED, done)

    @admin.action(description=_("Archive the selected articles"), permissions=("change",))
    def archive(self, request: HttpRequest, queryset: QuerySet) -> None:
        done = ngettext_lazy("%(count)d archived.", "%(count)d archived.", "count")
        self._move(request, queryset, ArticleStatus.ARCHIVED, done)

    def _move(self, request: HttpRequest, queryset: QuerySet, status: str, done) -> None:
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
    search_help_text = _("The sender's or recipient's exact e-mail address.")
    autocomplete_fields = ("sender", "recipient", "booking")
    list_select_related = ("sender", "recipient")
    # Delivery state is the messaging system's record of what happened, not something staff set.
    readonly_fields = ("status", "read_at", "created_at", "updated_at")
