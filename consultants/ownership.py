"""Consultants' per-object permissions on what they own: their bookings, reports and feasibility studies.

Whoever an object's consultant is holds ``view`` and ``change`` on it, and nobody else holds them
through ownership. The rules are declared here (``CONSULTANT_OWNERSHIP``) and registered in
``consultants.apps.ConsultantsConfig.ready``; ``core.derived_grants`` keeps the grants in step on every
save, moves them when a consultant profile moves to another account, and leaves deletions to the
grant rows' cascade. Bulk writers call ``owner_permissions_sync`` (rows created in bulk) or
``core.derived_grants.owned_rows_update`` (a ``QuerySet.update`` changing consultants).
"""

from collections.abc import Iterable

from django.db import models

from consultants.models import (
    Booking,
    BookingUserObjectPermission,
    FeasibilityStudy,
    FeasibilityStudyUserObjectPermission,
    Report,
    ReportUserObjectPermission,
)
from core.derived_grants import DerivedGrants, derived_grants_sync

OWNER_ACTIONS = ("view", "change")


def _owned_by_consultant(model: type[models.Model], grants: type[models.Model]) -> DerivedGrants:
    meta = model._meta
    return DerivedGrants(
        model=model,
        owner="consultant__user",
        permissions=tuple(f"{meta.app_label}.{action}_{meta.model_name}" for action in OWNER_ACTIONS),
        grants=grants,
        # The CONSULTANT role carries no model-wide view or change on these (rbac_catalog): a consultant
        # holds them only through ownership, so any consultant who no longer owns the row loses them.
        # Grants given to anyone else for another reason are not ownership's to remove.
        sole_source_for=models.Q(consultant__isnull=False),
    )


CONSULTANT_OWNERSHIP = (
    _owned_by_consultant(Booking, BookingUserObjectPermission),
    _owned_by_consultant(Report, ReportUserObjectPermission),
    _owned_by_consultant(FeasibilityStudy, FeasibilityStudyUserObjectPermission),
)
# Each consultant-owned model and its grant table.
OBJECT_PERMISSION_MODELS: dict[type[models.Model], type[models.Model]] = {
    rule.model: rule.grants for rule in CONSULTANT_OWNERSHIP
}


def owner_permissions_sync(*, model: type[models.Model], object_ids: Iterable[int]) -> int:
    """Make the consultants of ``object_ids`` (and only them) hold view/change on those objects.

    For objects written without signals (``bulk_create``, raw SQL). Returns the number of grants ensured;
    a handful of queries per 5,000 objects, whatever their size (``core.derived_grants.derived_grants_sync``).
    """
    return derived_grants_sync(model=model, object_ids=object_ids)
