"""Admin for people and access: users, roles, permissions, role assignments and notifications.

Roles, permissions and grants are read-only here: they change only through the role pages
(``accounts.urls``), whose services refuse privilege escalation, protect system roles and the last
SUPER_ADMIN, and audit every change. A model form in the admin would skip all of that.
"""

import re

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from accounts.forms import UserCreationForm, UserEditForm
from accounts.models import Notification, NotificationStatus, Permission, Role, RolePermission, User, UserRole
from accounts.rbac_catalog import action_label
from accounts.selectors import user_may_be_managed_by, users_matching
from accounts.services import user_delete_check, user_status_change_record
from accounts.services.delivery import notifications_retry
from core.admin_performance import LargeTableAdminMixin
from core.admin_readonly import ReadOnlyAdminMixin
from core.admin_search import PeopleSearchAdminMixin

# Roles replace Django's groups (accounts.backends ignores them); a Group page would grant nothing.
admin.site.unregister(Group)


class UserRoleInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = UserRole
    fk_name = "user"  # UserRole points at a user twice: the holder and `assigned_by`
    fields = ("role", "assigned_by", "assigned_at", "expires_at")


# A phone number as typed in a search: digits, maybe a leading +, spaces, dots, dashes or brackets.
PHONE_LIKE = re.compile(r"\+?[\d\s().-]{6,}")


@admin.register(User)
class UserAdmin(PeopleSearchAdminMixin, LargeTableAdminMixin, DjangoUserAdmin):
    # Clients sign up without bound, so the user list gets the large-table treatment too.
    form = UserEditForm
    add_form = UserCreationForm
    list_display = ("email", "full_name", "status", "is_staff", "is_active", "created_at")
    list_filter = ("status", "is_staff", "is_superuser", "is_active")
    # Name and e-mail through the name-search index (the row is the person); the phone, which has no
    # index, only for a term that looks like one.
    search_fields = ("email", "full_name", "phone")
    people_search_fields = ("pk",)
    people_matching = staticmethod(users_matching)
    search_help_text = _("Part of a name or e-mail address (at least 3 characters), or a phone number.")
    ordering = ("-id",)
    # `is_superuser` bypasses every role; it belongs to the bootstrap account only, so nobody can grant
    # it (themselves included) through a form.
    readonly_fields = ("is_superuser", "roles_page", "last_login", "created_at", "updated_at")
    filter_horizontal = ()
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Profile"), {"fields": ("full_name", "phone")}),
        # Roles (the inline below) are what grant permissions: our backend ignores Django's groups and
        # per-user permissions, so they are not offered here.
        (_("Access"), {"fields": ("status", "is_active", "is_staff", "is_superuser", "roles_page")}),
        (_("Dates"), {"fields": ("last_login", "created_at", "updated_at")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "full_name", "usable_password", "password1", "password2"),
            },
        ),
    )
    inlines = (UserRoleInline,)

    def own_search_fields(self, request, search_term: str) -> list[str]:
        fields = super().own_search_fields(request, search_term)
        return fields if PHONE_LIKE.fullmatch(search_term.strip()) else [f for f in fields if f != "phone"]

    def has_change_permission(self, request, obj=None) -> bool:
        """Also refuses accounts stronger than the actor's own: editing them would be a takeover."""
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or user_may_be_managed_by(subject=obj, actor=request.user))

    def has_delete_permission(self, request, obj=None) -> bool:
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or user_may_be_managed_by(subject=obj, actor=request.user))

    def get_actions(self, request):
        # Each deletion is checked against the RBAC invariants inside its own transaction (the delete
        # page's); the bulk action runs outside one, so accounts are deleted one page at a time.
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def get_deleted_objects(self, objs, request):
        """Lists, as what blocks the deletion, each RBAC invariant deleting these accounts would break
        (the last lasting SUPER_ADMIN, the last role manager, someone stronger than the actor)."""
        deleted, counts, perms_needed, protected = super().get_deleted_objects(objs, request)
        for user in objs:
            try:
                user_delete_check(user=user, actor=request.user)
            except ValidationError as error:
                protected.extend(error.messages)
        return deleted, counts, perms_needed, protected

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "status" in form.changed_data:
            user_status_change_record(user=obj, before=form.initial["status"], actor=request.user)

    def get_form(self, request, obj=None, change=False, **kwargs):
        # The edit form checks suspensions against the RBAC invariants on behalf of this actor.
        form = super().get_form(request, obj, change=change, **kwargs)
        return type(form.__name__, (form,), {"actor": request.user})

    @admin.display(description=_("roles"))
    def roles_page(self, user: User) -> str:
        if user.pk is None:
            return _("Grant roles once the user is saved.")
        return format_html(
            '<a href="{}">{}</a>', reverse("accounts:user_roles", args=[user.pk]), _("Grant or revoke roles")
        )


class RolePermissionInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = RolePermission
    fields = ("permission", "created_at")
    readonly_fields = ("created_at",)


@admin.register(Role)
class RoleAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("name", "is_system", "description", "role_page")
    list_filter = ("is_system",)
    search_fields = ("name", "description")
    inlines = (RolePermissionInline,)

    @admin.display(description=_("change"))
    def role_page(self, role: Role) -> str:
        return format_html('<a href="{}">{}</a>', reverse("accounts:role_detail", args=[role.pk]), _("Role page"))


@admin.register(Permission)
class PermissionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    # The catalog is seeded (`seed_rbac`); editing a row would change what every role holding it grants.
    list_display = ("codename_display", "resource", "action_display", "description")
    fields = ("resource", "action_display", "description")
    readonly_fields = ("action_display",)
    search_fields = ("resource", "action", "description")

    @admin.display(description=_("codename"), ordering="resource")
    def codename_display(self, permission: Permission) -> str:
        return permission.codename

    @admin.display(description=_("action"), ordering="action")
    def action_display(self, permission: Permission) -> str:
        return action_label(permission.action)


@admin.register(RolePermission)
class RolePermissionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("role", "permission", "created_at")
    list_filter = ("role",)
    search_fields = ("role__name", "permission__resource", "permission__action")
    list_select_related = ("role", "permission")


@admin.register(UserRole)
class UserRoleAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("user", "role", "assigned_by", "assigned_at", "expires_at")
    list_filter = ("role", "expires_at")
    search_fields = ("user__email", "user__full_name")
    list_select_related = ("user", "role", "assigned_by")


@admin.register(Notification)
class NotificationAdmin(LargeTableAdminMixin, admin.ModelAdmin):
    """Notifications and how their delivery went. Status and delivery are the delivery job's
    (``accounts.services.delivery``): read-only here, and a failed one is sent again by the "retry
    delivery" action, through ``notifications_retry``."""

    # No `sent_at`: a formatted date costs ~80 µs a cell, and rows, not queries, are this page's cost.
    list_display = ("title", "user", "channel", "status", "created_at", "read_at")
    list_filter = ("status", "channel")
    date_hierarchy = "created_at"
    ordering = ("-created_at",)
    search_fields = ("=user__email",)
    search_help_text = _("The recipient's exact e-mail address.")
    autocomplete_fields = ("user",)
    list_select_related = ("user",)
    readonly_fields = (
        "status",
        "sent_at",
        "read_at",
        "attempts",
        "next_attempt_at",
        "lease_expires_at",
        "error",
        "provider_reference",
        "idempotency_key",
        "created_at",
        "updated_at",
    )
    actions = ("retry_delivery",)

    @admin.action(description=_("Retry delivery of the selected failed notifications"), permissions=("change",))
    def retry_delivery(self, request: HttpRequest, queryset: QuerySet) -> None:
        selected = queryset.filter(status=NotificationStatus.FAILED).values_list("pk", flat=True)
        put_back = notifications_retry(ids=list(selected))
        skipped = queryset.count() - put_back
        self.message_user(
            request,
            ngettext(
                "%(count)d notification will be delivered again.",
                "%(count)d notifications will be delivered again.",
                put_back,
            )
            % {"count": put_back},
            messages.SUCCESS,
        )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d selected notification had not failed and was left as it is.",
                    "%(count)d selected notifications had not failed and were left as they are.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )
