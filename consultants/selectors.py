"""Reads of consultants' work, scoped to what the asking user may see."""

from django.db.models import QuerySet
from guardian.shortcuts import get_objects_for_user

from accounts.backends import may_hold_permissions
from consultants.models import Booking, FeasibilityStudy, Report


def _visible(user, model, queryset: QuerySet | None = None) -> QuerySet:
    # A role granting the model-wide view permission shows everything; otherwise only the objects the
    # user holds a per-object grant on. One query either way, however many rows come back. Guardian
    # does not know about suspension, so a user who may hold no permission sees nothing.
    opts = model._meta
    queryset = queryset if queryset is not None else model.objects.all()
    if not may_hold_permissions(user):
        return queryset.none()
    return get_objects_for_user(
        user,
        f"{opts.app_label}.view_{opts.model_name}",
        klass=queryset,
        use_groups=False,
        with_superuser=True,
        accept_global_perms=True,
    )


def bookings_visible_to(*, user, queryset: QuerySet | None = None) -> QuerySet[Booking]:
    return _visible(user, Booking, queryset)


def reports_visible_to(*, user, queryset: QuerySet | None = None) -> QuerySet[Report]:
    return _visible(user, Report, queryset)


def feasibility_studies_visible_to(*, user, queryset: QuerySet | None = None) -> QuerySet[FeasibilityStudy]:
    return _visible(user, FeasibilityStudy, queryset)
