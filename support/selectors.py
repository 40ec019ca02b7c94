"""Reads of the support desk, scoped to what the asking user may see."""

from django.db.models import QuerySet

from accounts.selectors import objects_visible_to
from support.models import SupportTicket


def tickets_visible_to(*, user, queryset: QuerySet | None = None) -> QuerySet[SupportTicket]:
    """Every ticket for holders of the model-wide view permission; otherwise those assigned to the user."""
    return objects_visible_to(user=user, queryset=queryset if queryset is not None else SupportTicket.objects.all())
