"""Admin changelists whose cost does not grow with the table: for tables that grow without bound.

On every page view Django's stock changelist does work proportional to the number of rows:

- ``COUNT(*)`` of the filtered rows for the paginator, and again of the whole table for "N total";
- ``SELECT DISTINCT`` over the date column (``queryset.dates()``) to build the date hierarchy;
- one ``COUNT`` per filter choice when facets are shown.

At a million rows these dominate the page (a list of 100 rows took ~40 times the query that fetches
them). `LargeTableAdminMixin` swaps each for something bounded: counts are exact only up to
``settings.ADMIN_EXACT_COUNT_LIMIT`` and estimated above it, the date hierarchy is built from an
index-backed ``MIN``/``MAX`` (see ``core/templatetags/admin_performance.py``), and facets are off.
docs/decisions/0006-admin-changelists-on-large-tables.md records why and what was measured.
"""

import enum
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import EmptyResultSet
from django.core.paginator import EmptyPage, Page, Paginator
from django.db import connections
from django.db.models import Model, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext


class Precision(enum.Enum):
    EXACT = "exact"
    # PostgreSQL's own guess: table statistics or the planner's row estimate.
    ESTIMATE = "estimate"
    # Counted up to a cap and the cap was reached: there are more rows than `value`, how many is unknown.
    AT_LEAST = "at_least"


@dataclass(frozen=True)
class RowCount:
    value: int
    precision: Precision

    @property
    def is_exact(self) -> bool:
        return self.precision is Precision.EXACT

    def label(self) -> str | None:
        """How to show an inexact count ("about 1,000,000", "more than 10,000"); None when exact."""
        if self.precision is Precision.ESTIMATE:
            return gettext("about %s") % number_format(_round_to_significant_digits(self.value), force_grouping=True)
        if self.precision is Precision.AT_LEAST:
            return gettext("more than %s") % number_format(self.value - 1, force_grouping=True)
        return None


def count_rows(queryset: QuerySet, *, exact_up_to: int) -> RowCount:
    """Count ``queryset`` exactly if it has at most ``exact_up_to`` rows, otherwise estimate it.

    Never reads more than ``exact_up_to + 1`` rows. On PostgreSQL the estimate comes first and costs
    no scan; an estimate below twice the limit is checked with a capped count (estimates can be far off
    for selective filters, and a partitioned table adds a little for each of its partitions). Elsewhere
    the capped count is all there is.
    """
    queryset = queryset.order_by()
    estimate = _postgres_estimate(queryset)
    if estimate is not None and estimate > 2 * exact_up_to:
        return RowCount(estimate, Precision.ESTIMATE)
    counted = queryset[: exact_up_to + 1].count()
    if counted <= exact_up_to:
        return RowCount(counted, Precision.EXACT)
    if estimate is not None and estimate >= counted:
        return RowCount(estimate, Precision.ESTIMATE)
    return RowCount(counted, Precision.AT_LEAST)


def _postgres_estimate(queryset: QuerySet) -> int | None:
    """PostgreSQL's row estimate for ``queryset`` (no rows read), or None on other databases."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    query = queryset.query
    if not (query.has_filters() or query.distinct or query.combinator):
        table_estimate = _table_estimate(queryset.model, using=queryset.db)
        if table_estimate is not None:
            return table_estimate
    return _planner_estimate(queryset)


def _table_estimate(model: type[Model], *, using: str) -> int | None:
    """Rows in ``model``'s table from ``pg_class.reltuples``, scaled to the table's current size.

    ``reltuples`` is as of the last ANALYZE/VACUUM; like the planner, we assume the rows per page have
    not changed since and multiply by the current number of pages. A partitioned table (the audit trail)
    is the sum of its partitions. None when nothing was ever analyzed.
    """
    connection = connections[using]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT sum(reltuples / relpages * (pg_relation_size(oid) / current_setting('block_size')::bigint))"
            " FILTER (WHERE reltuples >= 0 AND relpages > 0)"
            " FROM pg_class WHERE oid = %s::regclass"
            " OR oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = %s::regclass)",
            [connection.ops.quote_name(model._meta.db_table)] * 2,
        )
        (estimate,) = cursor.fetchone()
    return None if estimate is None else round(estimate)


def _planner_estimate(queryset: QuerySet) -> int:
    """The planner's row estimate (``EXPLAIN``, which plans the query but does not run it)."""
    connection = connections[queryset.db]
    try:
        sql, params = queryset.select_related(None).query.get_compiler(using=queryset.db).as_sql()
    except EmptyResultSet:
        return 0  # the filter can match nothing (month 99999999999999999999): Django knows without asking
    with connection.cursor() as cursor:
        # The SQL is the ORM's own, with its parameters passed separately: nothing user-typed is spliced.
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        (plan,) = cursor.fetchone()
    if isinstance(plan, str):  # depending on the driver's JSON loaders
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def _round_to_significant_digits(value: int, digits: int = 2) -> int:
    """1_003_456 -> 1_000_000: an estimate shown to the last digit would claim a precision it lacks."""
    return round(value, digits - len(str(abs(value))))


class EstimatedCountPaginator(Paginator):
    """A paginator that never counts more than ``settings.ADMIN_EXACT_COUNT_LIMIT`` rows.

    ``count`` is exact up to the limit and estimated above it (see `count_rows`); ``count_label`` tells
    templates how to show it. With an estimate, pages past the estimated end can still be asked for:
    the estimate may be short, and such a page is simply empty when it is not.

    An inexact count is always above the limit, which must therefore stay above the changelist's
    ``list_max_show_all`` (200): below it, an estimate could offer to "show all" of a huge table.
    """

    @cached_property
    def row_count(self) -> RowCount:
        if not isinstance(self.object_list, QuerySet):
            return RowCount(len(self.object_list), Precision.EXACT)
        return count_rows(self.object_list, exact_up_to=settings.ADMIN_EXACT_COUNT_LIMIT)

    @cached_property
    def count(self) -> int:
        return self.row_count.value

    @property
    def count_label(self) -> str | None:
        return self.row_count.label()

    def settle_count(self, count: int) -> None:
        """Replace the estimate by ``count``, found to be exact (see `LargeTableChangeList`)."""
        self.row_count = RowCount(count, Precision.EXACT)
        self.count = count
        self.__dict__.pop("num_pages", None)

    def validate_number(self, number) -> int:
        try:
            return super().validate_number(number)
        except EmptyPage:
            if self.row_count.is_exact or int(number) < 1:
                raise
            return int(number)

    def page(self, number) -> Page:
        if self.row_count.is_exact:
            return super().page(number)
        # Unlike Paginator.page, do not clip the slice to an estimated count.
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        # Django's hook for subclasses that build their own pages (its docstring says so); the stubs omit it.
        return self._get_page(self.object_list[bottom : bottom + self.per_page], number, self)  # type: ignore[attr-defined]


class GuardedChangeList(ChangeList):
    """Django's ChangeList, refusing a date drill-down past year 9999 as a bad parameter (a 400 with the
    admin's "invalid parameters" page) instead of the error Django raises outside its own guard."""

    def get_filters(self, request: HttpRequest, *args, **kwargs):
        try:
            return super().get_filters(request, *args, **kwargs)
        except (ValueError, OverflowError) as error:
            raise IncorrectLookupParameters(error) from error


class LargeTableChangeList(GuardedChangeList):
    """Django's ChangeList, with two changes for large tables.

    - A page that is not full is the last one, so it turns an estimated count into the exact count at
      no cost: estimates can be far off for selective filters, and "about 12,000" over a list of 40
      rows would mislead.
    - The link to each row's page is built without a ``reverse()`` per row.
    """

    _PK_PLACEHOLDER = 987654321

    @cached_property
    def _change_url_parts(self) -> tuple[str, str]:
        url = reverse(
            f"admin:{self.opts.app_label}_{self.opts.model_name}_change",
            args=(self._PK_PLACEHOLDER,),
            current_app=self.model_admin.admin_site.name,
        )
        before, _, after = url.partition(str(self._PK_PLACEHOLDER))
        return before, after

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        paginator = self.paginator
        if not self.multi_page and isinstance(paginator.object_list, list):
            # The paginator read every row already (`core.admin_search.FewRowsPaginator`); Django would
            # query them again for a single page.
            self.result_list = paginator.object_list
        if not isinstance(paginator, EstimatedCountPaginator) or paginator.row_count.is_exact:
            return
        shown = len(self.result_list)  # the page query, run here rather than in the template
        past_the_end = shown == 0 and self.page_num > 1
        if shown >= self.list_per_page or past_the_end:
            return
        rows_before = (self.page_num - 1) * self.list_per_page if self.multi_page else 0
        paginator.settle_count(rows_before + shown)
        self.result_count = paginator.count
        self.multi_page = self.result_count > self.list_per_page
        self.can_show_all = self.result_count <= self.list_max_show_all

    def url_for_result(self, result: Model) -> str:
        pk = getattr(result, self.pk_attname)
        if not isinstance(pk, int):
            return super().url_for_result(result)  # other keys need the admin's URL quoting
        before, after = self._change_url_parts
        return f"{before}{pk}{after}"


if TYPE_CHECKING:
    # To the type checker the mixin is the ModelAdmin it is mixed into, so its ``super()`` calls and
    # its use of ModelAdmin's attributes are checked; at run time it stays a plain mixin.
    _ModelAdmin = admin.ModelAdmin
else:
    _ModelAdmin = object


class LargeTableAdminMixin(_ModelAdmin):
    """For a ModelAdmin over a table that grows without bound (logs, notifications, bookings, payments).

    Keeps every query of the changelist independent of the table size:

    - counts through `EstimatedCountPaginator`, and no "N total" count of the unfiltered table;
    - no facet counts;
    - a date hierarchy from ``MIN``/``MAX`` of the (indexed) date field instead of ``SELECT DISTINCT``
      (the ``change_list_template`` below);
    - ``list_select_related`` applied to every queryset the admin hands out, so the autocomplete
      results and the change view load what ``__str__`` shows in one query too;
    - rows rendered with less per-row overhead (`action_checkbox`, `LargeTableChangeList`), because
      once the queries are bounded, rendering the rows is most of the page.

    What the mixin cannot do for you:

    - filter only on choices, booleans, dates or small related tables (never
      ``AllValuesFieldListFilter``, never a related filter on users);
    - order by an indexed column, ideally the ``date_hierarchy`` field, so that the first page and a
      drill-down each read one index range in order;
    - search only indexed columns (exact e-mail of a related user, an exact name): Django ORs the
      search fields, and a single unindexed one turns every search into a full scan;
    - list in ``list_select_related`` every relation a column shows, and keep the columns few.
    """

    paginator = EstimatedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER
    change_list_template = "admin/large_table_change_list.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        queryset = super().get_queryset(request)
        if isinstance(self.list_select_related, list | tuple) and self.list_select_related:
            queryset = queryset.select_related(*self.list_select_related)
        return queryset

    def get_changelist(self, request: HttpRequest, **kwargs) -> type[ChangeList]:
        return LargeTableChangeList

    def action_checkbox(self, obj: Model) -> SafeString:
        # The same markup as Django's, which renders a form widget through the template engine for
        # every row: about a quarter of a 100-row page.
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            ACTION_CHECKBOX_NAME,
            obj.pk,
            format_html(gettext("Select this object for an action - {}"), str(obj)),
        )
