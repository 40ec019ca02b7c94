"""The product's admin site: its name, and who may enter at all."""

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig
from django.contrib.admin.utils import unquote
from django.db.models.base import ModelBase
from django.shortcuts import redirect


class BackOfficeAdminSite(admin.AdminSite):
    """Django's admin site, entered only by active staff who hold at least one permission.

    Django lets any active ``is_staff`` user in, even with no permission left (a role that expired,
    a suspended account whose session is still open); they would see an empty index and the password
    pages. Here they are sent to sign in instead: deny by default.
    """

    @property
    def site_header(self):
        return settings.PRODUCT_NAME

    @property
    def site_title(self):
        return settings.PRODUCT_NAME

    index_title = "Administration"

    def register(self, model_or_iterable, admin_class=None, **options):
        """Registers as usual, then points every object's "History" at its audit trail.

        Django's history page lists the admin's own LogEntry rows, which miss every change made
        elsewhere; the audit trail has them all (``auditing:entity_history``, which checks access).
        """
        super().register(model_or_iterable, admin_class, **options)
        models = [model_or_iterable] if isinstance(model_or_iterable, ModelBase) else model_or_iterable
        for model in models:
            if model_admin := self._registry.get(model):  # a swapped-out model is skipped by Django
                model_admin.history_view = _audit_history(model._meta.label_lower)

    def has_permission(self, request) -> bool:
        user = request.user
        return bool(
            user.is_active
            and user.is_staff
            and not getattr(user, "is_suspended", False)
            and (user.is_superuser or user.get_all_permissions())
        )


def _audit_history(entity_type: str):
    def history_view(request, object_id, extra_context=None):
        return redirect("auditing:entity_history", entity_type, unquote(object_id))

    return history_view


class BackOfficeAdminConfig(AdminConfig):
    default_site = "core.admin_site.BackOfficeAdminSite"
