"""Consultants' per-object permissions on what they own: their bookings, reports and feasibility studies.

The grants are derived data: whoever the object's consultant is holds ``view`` and ``change`` on it,
and nobody else holds them through ownership. ``owner_permissions_sync`` restores that for a batch of
objects of one model (bulk paths call it directly); the signals in ``consultants.signals`` call it for
every single save. Rows cascade away with their object, so deletions leave no orphans.
"""

from collections.abc import Iterable

from django.contrib.auth.models import Permission as DjangoPermission
from django.db import models, transaction

from consultants.models import (
    Booking,
    BookingUserObjectPermission,
    FeasibilityStudy,
    FeasibilityStudyUserObjectPermission,
    Report,
    ReportUserObjectPermission,
)

OWNER_ACTIONS = ("view", "change")
OBJECT_PERMISSION_MODELS: dict[type[models.Model], type[models.Model]] = {
    Booking: BookingUserObjectPermission,
    Report: ReportUserObjectPermission,
    FeasibilityStudy: FeasibilityStudyUserObjectPermission,
}


def _owner_permissions(model: type[models.Model]) -> list[DjangoPermission]:
    codenames = [f"{action}_{model._meta.model_name}" for action in OWNER_ACTIONS]
    return list(DjangoPermission.objects.filter(content_type__app_label=model._meta.app_label, codename__in=codenames))


BATCH_SIZE = 5_000


@transaction.atomic
def owner_permissions_sync(*, model: type[models.Model], object_ids: Iterable[int]) -> int:
    """Make the consultants of ``object_ids`` (and only them) hold view/change on those objects.

    Returns the number of grants ensured. A handful of queries per 5,000 objects, whatever their size.
    """
    object_permission_model = OBJECT_PERMISSION_MODELS[model]
    permissions = _owner_permissions(model)
    ids = list(object_ids)
    ensured = 0
    for start in range(0, len(ids), BATCH_SIZE):
        batch = ids[start : start + BATCH_SIZE]
        # Ownership grants of any other consultant (the object changed hands) go away. Only consultants'
        # grants: view/change given to anyone else for another reason is not ownership's to remove.
        object_permission_model.objects.filter(
            content_object_id__in=batch, permission__in=permissions, user__consultant__isnull=False
        ).exclude(user_id=models.F("content_object__consultant__user_id")).delete()
        owners = model.objects.filter(pk__in=batch).values_list("pk", "consultant__user_id")
        grants = [
            object_permission_model(content_object_id=object_id, user_id=owner_user_id, permission=permission)
            for object_id, owner_user_id in owners
            for permission in permissions
        ]
        object_permission_model.objects.bulk_create(grants, ignore_conflicts=True, batch_size=BATCH_SIZE)
        ensured += len(grants)
    return ensured


@transaction.atomic
def consultant_owner_permissions_move(*, consultant_id: int, previous_user_id: int) -> None:
    """Moves the ownership grants on everything a consultant owns from their previous account."""
    for model, object_permission_model in OBJECT_PERMISSION_MODELS.items():
        owned = model.objects.filter(consultant_id=consultant_id).values_list("pk", flat=True)
        object_permission_model.objects.filter(
            content_object_id__in=owned, user_id=previous_user_id, permission__in=_owner_permissions(model)
        ).delete()
        owner_permissions_sync(model=model, object_ids=owned)
