"""The product's admin site: its name, and who may enter at all."""

from functools import wraps

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.utils import unquote
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.http import Http404
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

from core.admin_actions import selected_rows_checked
from core.admin_saves import inline_rows_checked_with_parent, service_timestamps_made_readonly, unchanged_saves_skipped
from core.admin_widgets import autocomplete_made_safe


class BackOfficeAdminSite(admin.AdminSite):
    """Django's admin site, entered only by active staff who hold at least one permission.

    Django lets any active ``is_staff`` user in, even with no permission left (a role that expired,
    a suspended account whose session is still open); they would see an empty index and the password
    pages. Here they are sent to sign in instead: deny by default.
    """

    # Properties, so the name is read from the settings when a page is drawn; the stubs declare these
    # as plain attributes, which Django only ever reads.
    @property
    def site_header(self) -> str:  # type: ignore[override]
        return settings.PRODUCT_NAME

    @property
    def site_title(self) -> str:  # type: ignore[override]
        return settings.PRODUCT_NAME

    index_title = _("Administration")

    def each_context(self, request):
        """The admin's context for every page, with its list of apps built only if a template reads it.

        Django builds ``available_apps`` (every app and model the user may see, with their URLs) on every
        admin page for its sidebar; our sidebar reads the back office's areas instead
        (``backoffice.navigation``), and the index and app pages build their own list, so on most pages
        nothing reads it: left lazy, it costs nothing there.
        """
        request._app_list_deferred = True  # read by get_app_list, for this call only
        try:
            return super().each_context(request)
        finally:
            del request._app_list_deferred

    def get_app_list(self, request, app_label=None):
        if app_label is None and getattr(request, "_app_list_deferred", False):
            return SimpleLazyObject(lambda: super(BackOfficeAdminSite, self).get_app_list(request))
        return super().get_app_list(request, app_label)

    def register(self, model_or_iterable, admin_class=None, **options):
        """Registers as usual, then points every object's "History" at its audit trail, makes its
        autocompletes re-render safely whatever was posted (``core.admin_widgets``), shows the timestamps
        services own read-only and saves a row only when its form changed (``core.admin_saves``), on the
        admin and its inlines, and makes its actions refuse a selection of ids no row can have
        (``core.admin_actions``).

        Django's history page lists the admin's own LogEntry rows, which miss every change made
        elsewhere; the audit trail has them all (``auditing:entity_history``, which checks access).
        """
        super().register(model_or_iterable, admin_class, **options)
        models = [model_or_iterable] if isinstance(model_or_iterable, type) else model_or_iterable
        for model in models:
            if model_admin := self._registry.get(model):  # a swapped-out model is skipped by Django
                # Replaced on the instance, so every admin gets it whatever its class defines.
                model_admin.history_view = _audit_history(model_admin)  # type: ignore[method-assign]
                autocomplete_made_safe(model_admin)
                service_timestamps_made_readonly(model_admin)
                unchanged_saves_skipped(model_admin)
                selected_rows_checked(model_admin)
                model_admin.get_inline_instances = _inlines_with_readonly_timestamps(  # type: ignore[method-assign]
                    model_admin.get_inline_instances
                )

    def login(self, request, extra_context=None):
        """The admin's sign-in, landing on the staff overview (``/``) unless a page asked for it: the
        overview is the one page every staff member may open, including one with no role yet (it says
        so and names who can grant access), where the admin index would refuse them."""
        if REDIRECT_FIELD_NAME not in request.GET and REDIRECT_FIELD_NAME not in request.POST:
            extra_context = {REDIRECT_FIELD_NAME: reverse("backoffice:home"), **(extra_context or {})}
        return super().login(request, extra_context)

    def has_permission(self, request) -> bool:
        user = request.user
        return bool(
            user.is_active
            and user.is_staff
            and not getattr(user, "is_suspended", False)
            and (user.is_superuser or user.get_all_permissions())
        )


def _inlines_with_readonly_timestamps(get_inline_instances):
    @wraps(get_inline_instances)
    def inline_instances(request, obj=None):
        instances = get_inline_instances(request, obj)
        for inline in instances:
            service_timestamps_made_readonly(inline)
            inline_rows_checked_with_parent(inline)
        return instances

    return inline_instances


def _audit_history(model_admin: admin.ModelAdmin):
    def history_view(request, object_id, extra_context=None):
        # Like Django's own history view, only for an object that exists: the id in the address is
        # whatever someone typed ("abc", "../..", 2**70), and the audit page's address must be built
        # from a real primary key.
        obj = model_admin.get_object(request, unquote(object_id))
        if obj is None:
            raise Http404(f"No {model_admin.opts.verbose_name} with that id.")
        return redirect("auditing:entity_history", model_admin.opts.label_lower, obj.pk)

    return history_view


class BackOfficeAdminConfig(AdminConfig):
    default_site = "core.admin_site.BackOfficeAdminSite"
