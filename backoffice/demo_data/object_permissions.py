"""Demo per-object permissions (django-guardian rows with direct foreign keys), by the owning apps' rules.

* ``consultants.ownership``: an object's consultant holds ``OWNER_ACTIONS`` on their bookings, reports
  and feasibility studies;
* ``support.services``: a ticket's assignee holds ``ASSIGNEE_PERMISSIONS`` on it.

Both are written with one INSERT ... SELECT per permission: the apps' own functions build a model
instance per grant, minutes at scale 1000. Tests check the result matches what those rules produce. Any
other per-object permission table gets a few sample grants to staff, so that no table stays empty until
its app defines a rule the demo can follow.
"""

from collections.abc import Sequence
from typing import cast

from django.apps import apps
from django.contrib.auth.models import Permission as DjangoPermission
from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from guardian.models import UserObjectPermissionBase

from accounts.rbac_catalog import RBAC_APP_LABELS
from backoffice.demo_data.context import DemoContext
from consultants.models import Consultant
from consultants.ownership import OBJECT_PERMISSION_MODELS, OWNER_ACTIONS
from support.models import SupportTicket, SupportTicketUserObjectPermission
from support.services import ASSIGNEE_PERMISSIONS


def seed_object_permissions(ctx: DemoContext) -> None:
    for model, permission_model in OBJECT_PERMISSION_MODELS.items():
        permissions = _permissions(model, [f"{action}_{model._meta.model_name}" for action in OWNER_ACTIONS])
        object_ids = ctx.ids[model._meta.label_lower]
        ctx.writer.record(permission_model, _grant(permission_model, permissions, _consultant_owner(), object_ids))
    permissions = _permissions(SupportTicket, [permission.partition(".")[2] for permission in ASSIGNEE_PERMISSIONS])
    object_ids = ctx.ids["support.supportticket"]
    granted = _grant(SupportTicketUserObjectPermission, permissions, _ASSIGNEE, object_ids)
    ctx.writer.record(SupportTicketUserObjectPermission, granted)
    for permission_model in _models_without_a_rule():
        _seed_sample_grants(ctx, permission_model)


# Who holds the grant on an object (``item``): a column, and the join it needs.
_ASSIGNEE = ("item.assignee_id", "")


def _consultant_owner() -> tuple[str, str]:
    consultants = connection.ops.quote_name(Consultant._meta.db_table)
    return "owner.user_id", f"JOIN {consultants} owner ON owner.id = item.consultant_id"


def _permissions(model: type[models.Model], codenames: list[str]) -> list[DjangoPermission]:
    content_type = ContentType.objects.get_for_model(model)
    return list(DjangoPermission.objects.filter(content_type=content_type, codename__in=codenames))


def _grant(
    permission_model: type[models.Model],
    permissions: list[DjangoPermission],
    holder: tuple[str, str],
    object_ids: Sequence[int],
) -> int:
    """Grant each of ``permissions`` on every object in ``object_ids`` (a contiguous block) to its holder."""
    if not object_ids:
        return 0
    quote = connection.ops.quote_name
    target = _target_model(permission_model)
    holder_column, join = holder
    # Identifiers come from model metadata and the fixed holders above; values travel as parameters.
    statement = (
        f"INSERT INTO {quote(permission_model._meta.db_table)} (user_id, permission_id, content_object_id) "  # noqa: S608
        f"SELECT {holder_column}, %s, item.id FROM {quote(target._meta.db_table)} item {join} "
        f"WHERE item.id BETWEEN %s AND %s AND {holder_column} IS NOT NULL"
    )
    granted = 0
    with connection.cursor() as cursor:
        for permission in permissions:
            cursor.execute(statement, [permission.pk, object_ids[0], object_ids[-1]])
            granted += cursor.rowcount
    return granted


def _target_model(permission_model: type[models.Model]) -> type[models.Model]:
    """The model a guardian direct-permission model grants on (its ``content_object`` foreign key)."""
    return cast(type[models.Model], permission_model._meta.get_field("content_object").related_model)


def _models_without_a_rule() -> list[type[models.Model]]:
    ruled = {*OBJECT_PERMISSION_MODELS.values(), SupportTicketUserObjectPermission}
    return [
        model
        for label in RBAC_APP_LABELS
        for model in apps.get_app_config(label).get_models()
        if issubclass(model, UserObjectPermissionBase) and model not in ruled
    ]


def _seed_sample_grants(ctx: DemoContext, permission_model: type[models.Model]) -> None:
    target = _target_model(permission_model)
    object_ids = ctx.ids.get(target._meta.label_lower) or list(
        target._default_manager.values_list("pk", flat=True)[:1000]
    )
    if not object_ids:
        return
    (permission,) = _permissions(target, [f"view_{target._meta.model_name}"])
    grants = sorted({(ctx.pick(ctx.staff_ids), ctx.pick(object_ids)) for _ in range(ctx.plan.object_grants)})
    ids = ctx.writer.reserve(permission_model, len(grants))
    rows = ((pk, user_id, permission.pk, object_id) for pk, (user_id, object_id) in zip(ids, grants, strict=True))
    ctx.writer.write(permission_model, ("id", "user_id", "permission_id", "content_object_id"), rows)
