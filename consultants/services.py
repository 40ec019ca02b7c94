"""Writes about consultants: the default specialties and the legacy expertise-fields migration."""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.text import slugify

from consultants.expertise_fields import expertise_names_parse, name_clean, name_key
from consultants.models import Consultant, ConsultantSpecialty, Specialty
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
_SLUG_MAX_LENGTH = Specialty._meta.get_field("slug").max_length


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
