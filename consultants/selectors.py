"""Reads of consultants' work, scoped to what the asking user may see."""

from django.db.models import QuerySet

from accounts.selectors import objects_visible_to
from consultants.models import Booking, FeasibilityStudy, Report


def bookings_visible_to(*, user, queryset: QuerySet | None = None) -> QuerySet[Booking]:
    return objects_visible_to(user=user, queryset=queryset if queryset is not None else Booking.objects.all())


def reports_visible_to(*, user, queryset: QuerySet | None = None) -> QuerySet[Report]:
    return objects_visible_to(user=user, queryset=queryset if queryset is not None else Report.objects.all())


def feasibility_studies_visible_to(*, user, queryset: QuerySet | None = None) -> QuerySet[FeasibilityStudy]:
    queryset = queryset if queryset is not None else FeasibilityStudy.objects.all()
    return objects_visible_to(user=user, queryset=queryset)
