"""Admin search by the people on a row: part of a client's, consultant's or requester's name or e-mail.

Django's admin search ORs ``icontains`` over its ``search_fields``; over a relation to the users table
that is a join and a scan of every user for each search, whatever index the users table has. Here the
people are found by the name-search index (``accounts.selectors.users_matching``), in one of two ways
depending on how many match, decided per search by a capped look-up of their ids (`people_probed`):

- **few people** (a rare name): the rows are those whose person is among their ids, literally
  (``client_id IN (12, 345)``), which the foreign keys' indexes answer; the few rows are then sorted.
- **many people** (a common surname, ~1 in 40): finding them all is the costly part (the index only
  proposes candidates; each is rechecked with ``search_fold``, about 10 µs apiece, 0.25 s for 25,000
  people), and their rows would then be joined and sorted in full before the first page. Instead the
  list's ordering index is walked and each row's people are checked one by one (a correlated look-up by
  primary key), stopping at the end of the page: the cost follows the share of rows that match, not
  their number. The page's count is then PostgreSQL's estimate, never a count (`PeopleSearchPaginator`).

The admin's other searches (a reference, a subject) still apply. core imports none of our apps, so the
admin says how people are matched (``people_matching``).
"""

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, ClassVar

from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Model, OuterRef, Q, QuerySet, Subquery
from django.db.models.lookups import IsNull
from django.http import HttpRequest
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

# The large-table count's own estimate (``EXPLAIN``), so that both counts read the planner alike.
from core.admin_performance import EstimatedCountPaginator, Precision, RowCount, _planner_estimate

if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin
else:
    _ModelAdmin = object

# What people search finds a person by: a search field on one of these of a searched person is answered
# by people search instead (index-backed), not by Django's own search (a join and a scan).
PERSON_SEARCH_COLUMNS = ("email", "full_name")


class PeopleSearchAdminMixin(_ModelAdmin):
    """Searches rows by their people: ``people_search_fields`` are paths from the row to a user (``"client"``,
    ``"consultant__user"``, ``"booking__client"``; ``"pk"`` when the row is the user), and a search term
    matches a row when one of those users' name or e-mail contains it (``people_matching``).

    ``search_fields`` keep their meaning for everything else (a reference, a subject), ORed with the people
    search; an entry that is the e-mail or name of one of those people (``"=client__email"``) is left to the
    people search, which finds the exact e-mail too. Keep such entries declared: Django's checks want
    ``search_fields`` on every admin that autocompletes point at, and the search box needs them.

    The term is searched whole ("amira haddad" is one name), not word by word as Django's search does. Only
    many-to-one joins are added, so the results hold no duplicates and the large-table count and pages stay
    bounded. Up to ``few_people`` people are looked up by their ids, more by walking the list (module
    docstring); each search costs one query more than the list, for those ids.
    """

    people_search_fields: ClassVar[tuple[str, ...]] = ()
    # Up to this many people their rows are found by their ids, past it by walking the list. Finding out
    # costs about 10 µs per person (the name index rechecks each), and the few are taken with all their
    # rows and sorted: at 200 both stay within a few milliseconds.
    few_people: ClassVar[int] = 200
    # accounts.selectors.users_matching, given by each admin (core may not import accounts).
    people_matching: "ClassVar[staticmethod[[str], QuerySet]]"
    search_help_text = _("Part of a name or e-mail address (at least 3 characters).")

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str) -> tuple[QuerySet, bool]:
        own_fields = self.own_search_fields(request, search_term)
        own_rows: QuerySet
        if own_fields:
            own_rows, may_have_duplicates = admin.ModelAdmin.get_search_results(
                _SearchOver(self, own_fields),  # type: ignore[arg-type]  # only opts and the fields are read
                request,
                queryset,
                search_term,
            )
        else:
            own_rows, may_have_duplicates = queryset.none(), False
        if not search_term or not self.people_search_fields:
            return (own_rows if own_fields else queryset), may_have_duplicates
        people = self.people_matching(search_term)
        found = people_probed(request, self.people_matching, search_term, limit=self.few_people)
        if found.is_few:
            people_rows = queryset.filter(rows_of_people(queryset.model, self.people_search_fields, found.ids))
            if not own_fields and tuple(self.people_search_fields) == ("pk",):
                # The rows are those few people themselves: count them, no estimate needed.
                _counted_exactly(request).add(self.opts.label)
        else:
            people_rows = queryset.filter(rows_walked_for_people(self.people_search_fields, people))
            # The rows as sets (the form whose row estimate PostgreSQL gets right), for the count only.
            as_sets = queryset.filter(rows_of_people(queryset.model, self.people_search_fields, people.values("pk")))
            _count_estimated_from(request)[self.opts.label] = (own_rows | as_sets) if own_fields else as_sets
        if not own_fields:
            return people_rows, False
        return own_rows | people_rows, may_have_duplicates

    def get_paginator(
        self,
        request: HttpRequest,
        queryset: QuerySet,
        per_page: int,
        orphans: int = 0,
        allow_empty_first_page: bool = True,
    ) -> Paginator:
        """The admin's paginator; for a search matching many people on a large-table list, one that estimates
        the count instead of counting (`PeopleSearchPaginator`)."""
        estimate_from = _count_estimated_from(request).get(self.opts.label)
        large_table = isinstance(self.paginator, type) and issubclass(self.paginator, EstimatedCountPaginator)
        if large_table and self.opts.label in _counted_exactly(request):
            return FewRowsPaginator(queryset, per_page, orphans, allow_empty_first_page)
        if estimate_from is None or not large_table or connections[queryset.db].vendor != "postgresql":
            return super().get_paginator(request, queryset, per_page, orphans, allow_empty_first_page)
        return PeopleSearchPaginator(
            queryset, per_page, orphans, allow_empty_first_page, estimate_from=estimate_from.order_by()
        )

    def own_search_fields(self, request: HttpRequest, search_term: str) -> list[str]:
        """``search_fields`` less the e-mails and names of people in ``people_search_fields``: Django's own
        search for ``search_term``. An admin may leave out more for some terms (a scan not worth running)."""
        covered = {
            f"{path}__{column}" if path != "pk" else column
            for path in self.people_search_fields
            for column in PERSON_SEARCH_COLUMNS
        }
        return [field for field in self.get_search_fields(request) if _search_path(field) not in covered]


@dataclass(frozen=True)
class PeopleProbe:
    """The first ids of the people a search matches, at most ``limit + 1`` of them."""

    ids: tuple[int, ...]
    limit: int

    @property
    def is_few(self) -> bool:
        return len(self.ids) <= self.limit


def people_probed(
    request: HttpRequest, people_matching: Callable[[str], QuerySet], search_term: str, *, limit: int
) -> PeopleProbe:
    """Up to ``limit + 1`` ids of the people matching ``search_term``: all of them when there are few.

    One query (the name-search index, stopping after ``limit + 1`` people), made once per request and term,
    so a page searching several lists by the same name (the global search) asks once.
    """
    probes = request.__dict__.setdefault("_people_search_probes", {})
    key = (people_matching, search_term, limit)
    if key not in probes:
        ids = people_matching(search_term).order_by().values_list("pk", flat=True)[: limit + 1]
        probes[key] = PeopleProbe(tuple(ids), limit)
    return probes[key]


def rows_of_people(model: type[Model], paths: Iterable[str], people: QuerySet | Sequence[int]) -> Q:
    """The condition "one of the users at ``paths`` is among ``people``" (ids, or a ``values("pk")``
    queryset), as sets: the rows of each path's foreign key.

    One path is ``path IN (people)``; several are ``pk IN (rows by path 1 UNION rows by path 2 ...)``, so
    PostgreSQL can answer each part from its foreign key's index and join once, rather than testing every
    row against an OR. Cheap for a few people given by their ids; for many, the sets are large
    (`rows_walked_for_people`).
    """
    paths = list(paths)
    if len(paths) == 1:
        return Q(**{f"{paths[0]}__in": people})
    manager = model._default_manager
    per_path = [manager.filter(**{f"{path}__in": people}).order_by().values("pk") for path in paths]
    return Q(pk__in=per_path[0].union(*per_path[1:]))


def rows_walked_for_people(paths: Iterable[str], people: QuerySet) -> Q:
    """The condition "one of the users at ``paths`` is among ``people``" (a queryset of users), checked row
    by row: for each path, ``(SELECT id FROM users WHERE id = row's user AND <people's condition> LIMIT 1)
    IS NOT NULL``.

    A correlated subquery with a LIMIT is neither pulled up into a join nor hashed, so PostgreSQL never
    builds the whole set of people: it walks the list's ordering index, looks each row's people up by
    primary key and stops at the end of the page. For many people only; for a few, the sets are cheaper
    (`rows_of_people`). ``"pk"`` (the row is the person) stays ``pk IN (people)``, which PostgreSQL already
    answers by walking the primary key.
    """
    condition = Q()
    for path in paths:
        if path == "pk":
            condition |= Q(pk__in=people.order_by().values("pk"))
            continue
        person = people.order_by().filter(pk=OuterRef(path)).values("pk")[:1]
        condition |= Q(IsNull(Subquery(person), False))
    return condition


def _count_estimated_from(request: HttpRequest) -> dict[str, QuerySet]:
    """Per admin (model label), the rows of a search for many people as sets, whose row estimate the
    page's count takes (`PeopleSearchAdminMixin.get_paginator`)."""
    return request.__dict__.setdefault("_people_search_counts", {})


def _counted_exactly(request: HttpRequest) -> set[str]:
    """The admins (model labels) whose search found rows known to be few: at most ``few_people`` + 1."""
    return request.__dict__.setdefault("_people_search_few_rows", set())


class FewRowsPaginator(EstimatedCountPaginator):
    """The large-table paginator of a search whose rows are known to be few (the people themselves, when
    few match, at most ``few_people`` + 1): the rows are read once, and counted and paged from what was
    read. One query instead of a count and then a page."""

    @cached_property
    def row_count(self) -> RowCount:
        rows = self.object_list
        if isinstance(rows, QuerySet):
            rows = list(rows)  # fills the queryset's cache, which the page then slices without a query
            self.object_list = rows
        return RowCount(len(rows), Precision.EXACT)


class PeopleSearchPaginator(EstimatedCountPaginator):
    """The large-table paginator of a search matching many people: the count is PostgreSQL's estimate of
    ``estimate_from`` (the same rows, as sets: ``EXPLAIN``, no row read), never a count.

    Counting even up to ``ADMIN_EXACT_COUNT_LIMIT`` would find and check 10,000 rows (100 pages' worth) on
    every page. A page that is not full still makes the count exact (`LargeTableChangeList`); a full page
    says there are more than its rows, whatever the estimate.
    """

    def __init__(self, *args, estimate_from: QuerySet, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.estimate_from = estimate_from

    @cached_property
    def row_count(self) -> RowCount:
        return RowCount(max(_planner_estimate(self.estimate_from), self.per_page + 1), Precision.ESTIMATE)


class _SearchOver:
    """What Django's ``get_search_results`` reads of its admin, with other search fields."""

    def __init__(self, model_admin: admin.ModelAdmin, search_fields: list[str]) -> None:
        self.opts = model_admin.opts
        self._search_fields = search_fields

    def get_search_fields(self, request: HttpRequest) -> list[str]:
        return self._search_fields


def _search_path(field: str) -> str:
    """``"=client__email"`` -> ``"client__email"``; ``"name__iexact"`` -> ``"name"``."""
    path = str(field).lstrip("=^@")
    for lookup in ("__exact", "__iexact", "__icontains", "__contains", "__istartswith", "__startswith"):
        path = path.removesuffix(lookup)
    return path
