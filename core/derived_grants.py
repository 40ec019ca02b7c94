"""Derived grants: per-object permissions that follow the user a row names (its owner or assignee).

An app declares once, as a ``DerivedGrants``, which user its rows name (``owner``: a foreign key to the
user, or a path through one more row such as ``"consultant__user"``) and which of the model's object
permissions that user holds on the row; it registers the declaration in its app's ``ready``
(``derived_grants_register``). From then on the django-guardian rows follow the data:

- a save that may change the owner (a new row, a full save, ``update_fields`` naming the field) gives
  the owner the permissions and takes them from the previous owner, in the writer's transaction;
- a save that points a row further along the path at another user (a consultant profile moved to
  another account) moves the grants on every row that reaches the user through it;
- deleting a row deletes its grants: the grant tables have a direct foreign key with ``CASCADE``;
- writes that send no signals say so: rows created in bulk call ``derived_grants_sync``, and a
  ``QuerySet.update`` that may change owners goes through ``owned_rows_update``.

The rule takes back only what it gave: the grants of the row's previous owner and, where a declaration
says the rule is the only way some users get these permissions (``sole_source_for``), those users'
grants on rows they do not own. Grants given to anyone else, by hand or for another reason, stay.

This module imports no app: the apps fill the registry (see docs/decisions/0015-grants-that-follow-data.md).
"""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction
from django.db.models.signals import post_save, pre_save

BATCH_SIZE = 5_000


@dataclass(frozen=True)
class DerivedGrants:
    """The user ``owner`` names on a ``model`` row holds ``permissions`` on that row, and nobody else through it.

    ``permissions`` are full names of the model's own permissions (``"support.view_supportticket"``);
    ``grants`` is the model's direct-foreign-key guardian table. ``sole_source_for`` (a ``Q`` on the user
    model) names the users who can hold these permissions on these rows only through this rule: a sync
    then takes them back from any such user who does not own the row, even when the previous owner is
    unknown (a row changed by raw SQL).
    """

    model: type[models.Model]
    owner: str
    permissions: tuple[str, ...]
    grants: type[models.Model]
    sole_source_for: models.Q | None = None

    @property
    def codenames(self) -> list[str]:
        return [permission.partition(".")[2] for permission in self.permissions]


@dataclass(frozen=True)
class _Hop:
    """One foreign key on the way from a rule's rows to their owner, watched for changes."""

    rule: DerivedGrants
    model: type[models.Model]  # the model holding the foreign key
    field: str
    attname: str
    rows_lookup: str  # from the rule's model to this model's primary key ("pk" on the rule's own model)
    owner_path: str  # from this model to the owner's user id

    def watched_by(self, update_fields: Iterable[str] | None) -> bool:
        return update_fields is None or bool({self.field, self.attname} & set(update_fields))


_RULES: dict[type[models.Model], list[DerivedGrants]] = defaultdict(list)
_HOPS: dict[type[models.Model], list[_Hop]] = defaultdict(list)
_REMEMBERED = "_derived_grants_previous_owners"
_SAFE_ON_DELETE = (models.CASCADE, models.PROTECT, models.RESTRICT)


def derived_grants_register(*rules: DerivedGrants) -> None:
    """Adds ``rules`` to the registry and starts following them on every save (call from an app's ``ready``).

    Registering the same rule again does nothing. Raises ``ImproperlyConfigured`` if ``owner`` does not
    lead to the user model, if a row along it could lose its link without being deleted (a link that is
    not ``CASCADE``/``PROTECT``/``RESTRICT``: its rows would keep grants nobody follows), if a permission
    is not one of the model's own, if ``grants`` is not the model's direct grant table, or if another
    rule already gives one of the permissions on the model (each would take back the other's grants).
    """
    for rule in rules:
        if rule in _RULES[rule.model]:
            continue
        hops = _hops_of(rule)
        for other in _RULES[rule.model]:
            if shared := set(rule.permissions) & set(other.permissions):
                raise ImproperlyConfigured(f"{sorted(shared)} on {rule.model.__name__} already follow {other.owner!r}")
        _RULES[rule.model].append(rule)
        for hop in hops:
            _HOPS[hop.model].append(hop)
            uid = f"derived_grants_{hop.model._meta.label_lower}"
            pre_save.connect(_remember_owners, sender=hop.model, dispatch_uid=uid)
            post_save.connect(_follow_owners, sender=hop.model, dispatch_uid=uid)


def derived_grants_registered() -> tuple[DerivedGrants, ...]:
    """Every registered rule (demo seeding writes the same grants in bulk; tests compare)."""
    return tuple(rule for rules in _RULES.values() for rule in rules)


def derived_grants_sync(
    *, model: type[models.Model], object_ids: Iterable[int], previous_owners: Mapping[int, int] | None = None
) -> int:
    """Brings the derived grants on ``object_ids`` of ``model`` in step with their current owners.

    For writes that send no signals: rows created in bulk, or changed by raw SQL. ``previous_owners``
    (object id -> user id) names who owned a row before, so that their grants go; without it only
    ``sole_source_for`` users lose grants. Returns the number of grants ensured; a handful of queries per
    5,000 objects. Raises ``LookupError`` if no rule is registered for ``model``.
    """
    if not _RULES[model]:
        raise LookupError(f"no derived grants are registered for {model._meta.label}")
    ids = list(object_ids)
    return sum(_rule_sync(rule, ids, previous_owners or {}) for rule in _RULES[model])


@transaction.atomic
def owned_rows_update(*, queryset: models.QuerySet, **values: Any) -> int:
    """``queryset.update(**values)``, with the derived grants following any owner the update changes.

    The rows are locked and their owners read before the update, so the previous owners' grants go and
    the new owners' come in the same transaction. Returns the number of rows updated.
    """
    hops = [hop for hop in _HOPS[queryset.model] if {hop.field, hop.attname} & set(values)]
    if not hops:
        return queryset.update(**values)
    ids = list(queryset.select_for_update().values_list("pk", flat=True))
    before = {
        hop.rule: dict(
            hop.rule.model._base_manager.filter(**{f"{hop.rows_lookup}__in": ids}).values_list("pk", hop.rule.owner)
        )
        for hop in hops
    }
    updated = queryset.model._base_manager.filter(pk__in=ids).update(**values)
    for rule, owners in before.items():
        _rule_sync(rule, owners, {row: owner for row, owner in owners.items() if owner is not None})
    return updated


def _hops_of(rule: DerivedGrants) -> list[_Hop]:
    names = rule.owner.split("__")
    hops: list[_Hop] = []
    model = rule.model
    for index, name in enumerate(names):
        field = model._meta.get_field(name)
        if not isinstance(field, models.ForeignKey):
            raise ImproperlyConfigured(f"{rule.owner!r} on {rule.model.__name__}: {name!r} is not a foreign key")
        last = index == len(names) - 1
        if not last and field.remote_field.on_delete not in _SAFE_ON_DELETE:
            raise ImproperlyConfigured(f"{rule.owner!r} on {rule.model.__name__}: {name!r} may be unset on delete")
        rows_lookup = "__".join(names[:index]) or "pk"
        hops.append(_Hop(rule, model, name, field.attname, rows_lookup, "__".join(names[index:])))
        model = field.related_model
    if model is not get_user_model():
        raise ImproperlyConfigured(f"{rule.owner!r} on {rule.model.__name__} does not lead to the user model")
    meta = rule.model._meta
    for permission in rule.permissions:
        app_label, _, codename = permission.partition(".")
        if app_label != meta.app_label or not codename.endswith(f"_{meta.model_name}"):
            raise ImproperlyConfigured(f"{permission!r} is not a permission on {meta.label}")
    if rule.grants._meta.get_field("content_object").related_model is not rule.model:
        raise ImproperlyConfigured(f"{rule.grants.__name__} does not hold grants on {meta.label}")
    return hops


def _remember_owners(sender, instance, raw=False, update_fields=None, **kwargs) -> None:
    """Before a save that may move a row to another user: who the user is now, read from the database."""
    if raw or instance.pk is None:  # fixtures bring their own grants; a new row has no previous owner
        return
    remembered: dict[str, Any] = {}
    for hop in _HOPS[sender]:
        if hop.watched_by(update_fields) and hop.owner_path not in remembered:
            owner = sender._base_manager.filter(pk=instance.pk).values_list(hop.owner_path, flat=True).first()
            remembered[hop.owner_path] = owner
    instance.__dict__[_REMEMBERED] = remembered


def _follow_owners(sender, instance, created, raw=False, update_fields=None, **kwargs) -> None:
    if raw:
        return
    remembered = instance.__dict__.pop(_REMEMBERED, {})
    for hop in _HOPS[sender]:
        if not hop.watched_by(update_fields):
            continue
        previous = None if created else remembered.get(hop.owner_path)
        if hop.rows_lookup == "pk":
            # The row itself: always re-derived, so a full save also repairs grants written around us.
            _rule_sync(hop.rule, [instance.pk], {instance.pk: previous} if previous is not None else {})
        elif not created and previous != _owner_now(hop, instance):
            rows = list(
                hop.rule.model._base_manager.filter(**{hop.rows_lookup: instance.pk}).values_list("pk", flat=True)
            )
            _rule_sync(hop.rule, rows, dict.fromkeys(rows, previous) if previous is not None else {})


def _owner_now(hop: _Hop, instance: models.Model) -> Any:
    if hop.owner_path == hop.field:
        return getattr(instance, hop.attname)
    return type(instance)._base_manager.filter(pk=instance.pk).values_list(hop.owner_path, flat=True).first()


@transaction.atomic
def _rule_sync(rule: DerivedGrants, object_ids: Iterable[int], previous_owners: Mapping[int, int]) -> int:
    meta = rule.model._meta
    permissions = list(
        Permission.objects.filter(
            content_type__app_label=meta.app_label, content_type__model=meta.model_name, codename__in=rule.codenames
        )
    )
    ids = list(object_ids)
    ensured = 0
    for start in range(0, len(ids), BATCH_SIZE):
        batch = ids[start : start + BATCH_SIZE]
        given_by_rule = _given_by_rule(rule, batch, previous_owners)
        if given_by_rule is not None:
            rule.grants._base_manager.filter(
                given_by_rule, content_object_id__in=batch, permission__in=permissions
            ).exclude(user_id=models.F(f"content_object__{rule.owner}")).delete()
        owners = (
            rule.model._base_manager.filter(pk__in=batch)
            .exclude(**{f"{rule.owner}__isnull": True})
            .values_list("pk", rule.owner)
        )
        grants = [
            rule.grants(content_object_id=object_id, user_id=owner_id, permission=permission)
            for object_id, owner_id in owners
            for permission in permissions
        ]
        rule.grants._base_manager.bulk_create(grants, ignore_conflicts=True, batch_size=BATCH_SIZE)
        ensured += len(grants)
    return ensured


def _given_by_rule(rule: DerivedGrants, batch: list[int], previous_owners: Mapping[int, int]) -> models.Q | None:
    """The grants on ``batch`` this rule may have given: its previous owners', and its sole-source users'."""
    by_owner: dict[int, list[int]] = defaultdict(list)
    for object_id in batch:
        if (owner := previous_owners.get(object_id)) is not None:
            by_owner[owner].append(object_id)
    conditions = [models.Q(user_id=owner, content_object_id__in=objects) for owner, objects in by_owner.items()]
    if rule.sole_source_for is not None:
        users = get_user_model()._base_manager.filter(rule.sole_source_for).values("pk")
        conditions.append(models.Q(user_id__in=users))
    if not conditions:
        return None
    given = conditions[0]
    for condition in conditions[1:]:
        given |= condition
    return given
