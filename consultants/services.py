"""Writes about consultants: the default specialties, the legacy expertise-fields migration, and the
write path of what consultants and their clients own (services, bookings, reports, studies, articles,
messages): owners from the signed-in user, prices above zero, workflow moves through their own services.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar, cast

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.rbac_catalog import ACT_FOR_CONSULTANT, ACT_FOR_USER
from consultants.expertise_fields import expertise_names_parse, name_clean, name_key
from consultants.models import (
    Article,
    ArticleStatus,
    Booking,
    Consultant,
    ConsultantSpecialty,
    DeliverableStatus,
    FeasibilityStudy,
    Message,
    Report,
    Service,
    Specialty,
)
from core.owner_fields import OwnerField, owner_fields_apply
from core.seeding import SeedTally

DEFAULT_SPECIALTIES = (
    "Economic",
    "Financial",
    "Legal",
    "Marketing",
    "Technology",
    "Management",
    "Human Resources",
    "Engineering",
)
_SLUG_MAX_LENGTH = cast(int, Specialty._meta.get_field("slug").max_length)  # a SlugField always has one


@dataclass(frozen=True)
class ExpertiseProblem:
    consultant_id: int
    value: str
    reason: str


@dataclass
class ExpertiseMigrationResult:
    consultants_processed: int = 0
    links_created: int = 0
    links_existing: int = 0
    specialties_created: list[str] = field(default_factory=list)
    problems: list[ExpertiseProblem] = field(default_factory=list)


class _SpecialtyIndex:
    """Every specialty's id by name key, creating the missing ones in bulk with unique slugs."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}
        self.slugs: set[str] = set()
        for pk, name, slug in Specialty.objects.order_by("pk").values_list("pk", "name", "slug"):
            self.ids.setdefault(name_key(name), pk)
            self.slugs.add(slug)

    def create_missing(self, names: Iterable[str]) -> list[str]:
        """Create a specialty for each name not known yet (see ``_better_spelling``); return the names created."""
        spellings: dict[str, str] = {}
        for name in names:
            key = name_key(name)
            if key not in self.ids and _better_spelling(name_clean(name), spellings.get(key)):
                spellings[key] = name_clean(name)
        new = {key: Specialty(name=name, slug=self._claim_slug(name)) for key, name in spellings.items()}
        Specialty.objects.bulk_create(new.values())
        # Re-read by slug rather than trusting bulk_create to return primary keys on every backend.
        by_slug = dict(Specialty.objects.filter(slug__in=[s.slug for s in new.values()]).values_list("slug", "pk"))
        self.ids.update({key: by_slug[specialty.slug] for key, specialty in new.items()})
        return [specialty.name for specialty in new.values()]

    def _claim_slug(self, name: str) -> str:
        base = slugify(name)[: _SLUG_MAX_LENGTH - 8] or "specialty"
        slug, suffix = base, 2
        while slug in self.slugs:
            slug, suffix = f"{base}-{suffix}", suffix + 1
        self.slugs.add(slug)
        return slug


def _better_spelling(name: str, current: str | None) -> bool:
    """Whether ``name`` should replace ``current`` as a new specialty's name: mixed case ("Data Science")
    beats all lower or all upper case; otherwise the first spelling seen wins."""
    if current is None:
        return True
    return not _is_mixed_case(current) and _is_mixed_case(name)


def _is_mixed_case(name: str) -> bool:
    return name != name.lower() and name != name.upper()


@transaction.atomic
def specialties_seed_defaults() -> SeedTally:
    """Create the default specialties (Economic, Financial, ...) that do not exist under any casing."""
    index = _SpecialtyIndex()
    created = index.create_missing(DEFAULT_SPECIALTIES)
    return SeedTally(created=len(created), existing=len(DEFAULT_SPECIALTIES) - len(created))


@transaction.atomic
def expertise_fields_migrate(*, batch_size: int = 2000) -> ExpertiseMigrationResult:
    """Link every consultant to the specialties named in their legacy ``expertise_fields``.

    Names match existing specialties ignoring case and whitespace; missing specialties are created
    (unique slugs); existing links are kept, so a second run creates nothing. ``expertise_fields`` is
    left as it is. Values that cannot be read are reported per consultant (see
    ``consultants.expertise_fields``), not fatal. Works in batches of ``batch_size`` consultants with bulk
    queries, all in one transaction.
    """
    index = _SpecialtyIndex()
    result = ExpertiseMigrationResult()
    for batch in _consultant_batches(batch_size):
        wanted = _names_by_consultant(batch, result)
        result.specialties_created += index.create_missing(name for names in wanted.values() for name in names)
        pairs = {
            (consultant_id, index.ids[name_key(name)]) for consultant_id, names in wanted.items() for name in names
        }
        _link(pairs, consultant_ids=[consultant_id for consultant_id, _ in batch], result=result)
        result.consultants_processed += len(batch)
    return result


def _consultant_batches(batch_size: int) -> Iterator[list[tuple[int, object]]]:
    # Keyset pagination: constant cost per batch however far in, unlike OFFSET.
    last_id = 0
    while batch := list(
        Consultant.objects.filter(pk__gt=last_id).order_by("pk").values_list("pk", "expertise_fields")[:batch_size]
    ):
        yield batch
        last_id = batch[-1][0]


def _names_by_consultant(batch: list[tuple[int, object]], result: ExpertiseMigrationResult) -> dict[int, list[str]]:
    wanted: dict[int, list[str]] = {}
    for consultant_id, value in batch:
        parsed = expertise_names_parse(value)
        result.problems += [ExpertiseProblem(consultant_id, shown, reason) for shown, reason in parsed.problems]
        if parsed.names:
            wanted[consultant_id] = parsed.names
    return wanted


def _link(pairs: set[tuple[int, int]], *, consultant_ids: list[int], result: ExpertiseMigrationResult) -> None:
    existing = set(
        ConsultantSpecialty.objects.filter(consultant_id__in=consultant_ids).values_list(
            "consultant_id", "specialty_id"
        )
    )
    missing = sorted(pairs - existing)
    ConsultantSpecialty.objects.bulk_create(
        [ConsultantSpecialty(consultant_id=c, specialty_id=s) for c, s in missing], ignore_conflicts=True
    )
    result.links_created += len(missing)
    result.links_existing += len(pairs) - len(missing)


# --- Owners, prices and workflow state -----------------------------------------------------------------


def consultant_of(user: Any) -> Consultant | None:
    """``user``'s consultant profile, or ``None`` if they have none."""
    return Consultant.objects.filter(user_id=user.pk).first()


def _consultant_owner(name: str) -> OwnerField:
    return OwnerField(
        name,
        permission=ACT_FOR_CONSULTANT.codename,
        own=consultant_of,
        no_own_message="Only a consultant can own this, and your account has no consultant profile.",
    )


# Who owns each of these rows: the signed-in user (or their consultant profile) unless they may act for
# others. The admin declares its owner fields from here, so the forms and `owned_record_save` agree.
OWNER_FIELDS: dict[type[models.Model], tuple[OwnerField, ...]] = {
    Service: (_consultant_owner("consultant"),),
    Report: (_consultant_owner("consultant"),),
    FeasibilityStudy: (_consultant_owner("consultant"),),
    Article: (_consultant_owner("author"),),
    Booking: (OwnerField("client", permission=ACT_FOR_USER.codename),),
    Message: (OwnerField("sender", permission=ACT_FOR_USER.codename),),
}

# Workflow state moved only by `deliverable_status_set` / `article_status_set`, never by a plain save.
WORKFLOW_FIELDS: dict[type[models.Model], tuple[str, ...]] = {
    Report: ("status", "delivered_at"),
    FeasibilityStudy: ("status", "delivered_at"),
    Article: ("status", "published_at"),
}

# A row of one of the models in OWNER_FIELDS (a service, booking, report, study, article or message).
OwnedRecord = TypeVar("OwnedRecord", bound=models.Model)
Deliverable = TypeVar("Deliverable", Report, FeasibilityStudy)


def service_price_check(*, price: Decimal | None) -> None:
    """Raises ``ValidationError`` unless ``price`` is a ``Decimal`` above zero (a service is never free)."""
    if not isinstance(price, Decimal) or not price.is_finite() or price <= 0:
        raise ValidationError("A service's price must be an amount above zero.", code="price_not_positive")


@transaction.atomic
def owned_record_save(*, record: OwnedRecord, actor: Any) -> OwnedRecord:
    """Creates or updates a service, booking, report, feasibility study, article or message as ``actor``.

    Owner fields (``OWNER_FIELDS``) follow ``core.owner_fields.owner_fields_apply``: without the
    permission to act for others a new row is ``actor``'s own and an existing row keeps its owner.
    Workflow state (``WORKFLOW_FIELDS``) must be the default on a new row and unchanged on an existing
    one: it moves through ``deliverable_status_set`` and ``article_status_set``. The row is validated
    (``full_clean``, a service's price above zero) and saved; ownership grants follow by signal.
    Raises ``PermissionDenied`` for someone else's name, ``ValidationError`` for anything invalid.
    """
    owner_fields_apply(instance=record, actor=actor, fields=OWNER_FIELDS[type(record)])
    _workflow_state_unchanged_check(record)
    if isinstance(record, Service):
        service_price_check(price=record.price)
    record.full_clean()
    record.save()
    return record


def _workflow_state_unchanged_check(record: models.Model) -> None:
    names = WORKFLOW_FIELDS.get(type(record), ())
    if not names:
        return
    if record._state.adding:
        # Workflow fields are the model's own columns, so each is a concrete Field.
        expected = {name: cast(models.Field, record._meta.get_field(name)).get_default() for name in names}
    else:
        expected = type(record)._default_manager.filter(pk=record.pk).values(*names).get()
    if changed := [name for name in names if getattr(record, name) != expected[name]]:
        raise ValidationError(
            {
                name: f"The {record._meta.verbose_name}'s {name.replace('_', ' ')} changes only through its workflow."
                for name in changed
            }
        )


# The moves each workflow allows: target status -> the statuses it may be reached from.
DELIVERABLE_MOVES: dict[str, frozenset[str]] = {
    DeliverableStatus.SUBMITTED: frozenset({DeliverableStatus.DRAFT}),
    DeliverableStatus.DELIVERED: frozenset({DeliverableStatus.DRAFT, DeliverableStatus.SUBMITTED}),
    DeliverableStatus.ARCHIVED: frozenset(
        {DeliverableStatus.DRAFT, DeliverableStatus.SUBMITTED, DeliverableStatus.DELIVERED}
    ),
}
ARTICLE_MOVES: dict[str, frozenset[str]] = {
    ArticleStatus.PUBLISHED: frozenset({ArticleStatus.DRAFT}),
    ArticleStatus.ARCHIVED: frozenset({ArticleStatus.DRAFT, ArticleStatus.PUBLISHED}),
}


@transaction.atomic
def deliverable_status_set(*, deliverable: Deliverable, status: str, actor: Any) -> Deliverable:
    """Moves a report or feasibility study to ``status`` (``DELIVERABLE_MOVES``) on behalf of its consultant.

    Delivering stamps ``delivered_at``. ``actor`` must be allowed to change the document and be its
    consultant or hold ``consultants.act_for_consultant``. The row is locked for the move, so two
    moves never both start from the same status. Raises ``PermissionDenied`` or ``ValidationError``
    (a move the workflow does not allow); returns the document as saved.
    """
    return _status_move(
        deliverable,
        status=status,
        actor=actor,
        owner_field="consultant",
        moves=DELIVERABLE_MOVES,
        stamp=(DeliverableStatus.DELIVERED, "delivered_at"),
    )


@transaction.atomic
def article_status_set(*, article: Article, status: str, actor: Any) -> Article:
    """Publishes or archives ``article`` (``ARTICLE_MOVES``) on behalf of its author.

    Publishing stamps ``published_at``. ``actor`` must be allowed to change articles and be the author
    or hold ``consultants.act_for_consultant``. Raises ``PermissionDenied`` or ``ValidationError``;
    returns the article as saved.
    """
    return _status_move(
        article,
        status=status,
        actor=actor,
        owner_field="author",
        moves=ARTICLE_MOVES,
        stamp=(ArticleStatus.PUBLISHED, "published_at"),
    )


def _status_move(
    record: Any,
    *,
    status: str,
    actor: Any,
    owner_field: str,
    moves: dict[str, frozenset[str]],
    stamp: tuple[str, str],
) -> Any:
    """One workflow move of ``record``: permission and owner checked on the locked row, the move allowed by
    ``moves``, and ``stamp`` = (status, field) stamping the time the row reaches that status."""
    record = _move_start(record, actor=actor, owner_field=owner_field)
    _move_check(record, status=status, moves=moves)
    stamped_status, stamped_field = stamp
    record.status = status
    if status == stamped_status:
        setattr(record, stamped_field, timezone.now())
    record.save(update_fields=["status", stamped_field, "updated_at"])
    return record


def _move_start(record: models.Model, *, actor: Any, owner_field: str) -> Any:
    opts = record._meta
    if not actor.has_perm(f"{opts.app_label}.change_{opts.model_name}", record):
        raise PermissionDenied(f"You may not change this {opts.verbose_name}.")
    locked = type(record)._default_manager.select_for_update(of=("self",)).select_related(owner_field).get(pk=record.pk)
    owner = getattr(locked, owner_field)
    if owner.user_id != actor.pk and not actor.has_perm(ACT_FOR_CONSULTANT.codename):
        raise PermissionDenied(f"Only its consultant may move this {opts.verbose_name} along its workflow.")
    return locked


def _move_check(record: Any, *, status: str, moves: dict[str, frozenset[str]]) -> None:
    if record.status not in moves.get(status, frozenset()):
        current = record.get_status_display().lower()
        wanted = dict(record._meta.get_field("status").choices).get(status, status).lower()
        raise ValidationError(
            f"This {record._meta.verbose_name} is {current}; it cannot become {wanted}.", code="bad_move"
        )
