"""Demo per-object permissions (django-guardian rows with direct foreign keys), by the apps' own rules.

Every rule registered with ``core.derived_grants`` (an object's consultant holds view/change on their
bookings, reports and feasibility studies; a ticket's assignee on the ticket) is written with one
INSERT ... SELECT per permission: the mechanism's own sync builds a model instance per grant, minutes
at scale 1000. Tests check the result matches what the rules produce. Any other per-object permission
table gets a few sample grants to staff, so that no table stays empty until its app defines a rule.
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
from core.derived_grants import DerivedGrants, derived_grants_registered


def seed_object_permissions(ctx: DemoContext) -> None:
    for rule in derived_grants_registered():
        permissions = _permissions(rule.model, rule.codenames)
        object_ids = ctx.ids[rule.model._meta.label_lower]
        ctx.writer.record(rule.grants, _grant(rule.grants, permissions, _holder(rule), object_ids))
    for permission_model in _models_without_a_rule():
        _seed_sample_grants(ctx, permission_model)


def _holder(rule: DerivedGrants) -> tuple[str, str]:
    """The column holding the owner's user id for a rule's rows (aliased ``item``), and the joins it needs.

    ``rule.owner`` is a path of foreign keys (``"assignee"``, ``"consultant__user"``); identifiers come
    from model metadata only.
    """
    quote = connection.ops.quote_name
    model, alias, joins = rule.model, "item", []
    *hops, last = rule.owner.split("__")
    for number, name in enumerate(hops):
        field = model._meta.get_field(name)
        target = cast(type[models.Model], field.related_model)
        joined = f"hop{number}"
        column = quote(cast(models.ForeignKey, field).column)
        joins.append(f"JOIN {quote(target._meta.db_table)} {joined} ON {joined}.id = {alias}.{column}")
        model, alias = target, joined
    owner_column = cast(models.ForeignKey, model._meta.get_field(last)).column
    return f"{alias}.{quote(owner_column)}", " ".join(joins)


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
    ruled = {rule.grants for rule in derived_grants_registered()}
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
