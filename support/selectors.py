"""Reads of the support desk, scoped to what the asking user may see."""

from django.db.models import QuerySet
from guardian.shortcuts import get_objects_for_user

from accounts.backends import may_hold_permissions
from support.models import SupportTicket


def tickets_visible_to(*, user, queryset: QuerySet | None = None) -> QuerySet[SupportTicket]:
    """Every ticket for holders of the model-wide view permission; otherwise the tickets assigned to
    the user (guardian grants). Two queries, whatever the number of tickets."""
    queryset = queryset if queryset is not None else SupportTicket.objects.all()
    if not may_hold_permissions(user):
        return queryset.none()
    return get_objects_for_user(
        user, "support.view_supportticket", klass=queryset, use_groups=False, accept_global_perms=True
    )
