"""An admin for rows the admin must not write: staff may look, never add, change or delete."""

from django.db.models import Model
from django.http import HttpRequest


class ReadOnlyAdminMixin:
    """For append-only or computed tables (audit trail, system log, KPI values), and for tables whose
    writes must go through a service that enforces rules a model form would skip (roles and grants).

    Adding, changing and deleting are refused to everyone, superusers included, so the admin can never
    be the way a row is forged, removed or slipped past those rules. Viewing is left to
    ``has_view_permission``, i.e. to ``user.has_perm("<app>.view_<model>")``. With delete refused,
    Django also drops the "delete selected" action. Works on inlines too.
    """

    def has_add_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Model | None = None) -> bool:
        return False
