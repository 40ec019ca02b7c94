"""Consultants' per-object permissions on what they own: their bookings, reports and feasibility studies.

Whoever an object's consultant is holds ``view`` and ``change`` on it, and nobody else holds them
through ownership. The rules are declared here (``CONSULTANT_OWNERSHIP``) and registered in
``consultants.apps.ConsultantsConfig.ready``; ``core.derived_grants`` keeps the grants in step on every
save, moves them when a consultant profile moves to another account, and leaves deletions to the
grant rows' cascade. Bulk writers call ``core.derived_grants.derived_grants_sync`` (rows created in
bulk) or ``core.derived_grants.owned_rows_update`` (a ``QuerySet.update`` changing consultants).
"""

from django.db import models

from consultants.models import (
    Booking,
    BookingUserObjectPermission,
    FeasibilityStudy,
    FeasibilityStudyUserObjectPermission,
    Report,
    ReportUserObjectPermission,
)
from core.derived_grants import DerivedGrants

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
