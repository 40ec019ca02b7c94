"""The finance staff pages: payments (the list with its totals, the export, one payment), the refunds
queue and its decisions, consultants' earnings, and how a service's commission is decided.

Views check a permission, read through ``billing.selectors`` and hand every change to
``billing.services``; a refusal from a service comes back as a message on the page it came from, with
nothing written.
"""

from collections.abc import Iterator
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from accounts.rbac_catalog import (
    ADD_REFUND,
    APPROVE_REFUND,
    EXPORT_PAYMENTS,
    PROCESS_REFUND,
    VIEW_COMMISSION,
    VIEW_PAYMENT,
    VIEW_REFUND,
)
from billing import selectors, services
from billing.filters import (
    ALL,
    EarningsFilter,
    PaymentFilter,
    RefundFilter,
    earnings_filter_data,
    payment_filter_data,
    refund_filter_data,
)
from billing.forms import CommissionDayForm, RefundDecisionForm, RefundRejectForm, RefundRequestForm, ServiceSearchForm
from billing.models import Payment, PaymentStatus, Refund, RefundStatus, ServiceCommission
from consultants.models import Service
from core.access import permission_required
from core.csv_export import FORMULA_START, csv_download, csv_lines, formula_safe
from core.feedback import form_errors_told, refusal_text
from core.filters import filter_bar, filter_query, filter_usable
from core.formatting import money, quantity
from core.ids import BIGINT_LIMIT
from core.keyset import BadPageToken, KeysetPage, keyset_page

PAGE_SIZE = 50
SERVICES_PAGE_SIZE = 25
# Typed text naming several consultants: the earnings page lists this many to pick from.
CONSULTANTS_TO_PICK = 20
FINANCE_PREFIX = "/staff/finance/"


# Payments


@require_GET
@permission_required(VIEW_PAYMENT)
def payments(request: HttpRequest) -> HttpResponse:
    filterset = PaymentFilter(payment_filter_data(request), queryset=Payment.objects.all())
    usable = filter_usable(filterset)
    page = _keyset(request, selectors.payment_rows(filterset.qs) if usable else None, descending=True)
    query = filter_query(request)
    return render(
        request,
        "billing/payments.html",
        {
            "filter": filterset,
            "filter_fields": filter_bar(filterset),
            "filter_query": query,
            "page": page,
            "rows": payment_rows(page.rows, filter_data=request.GET),
            "totals": selectors.payment_totals(filterset.qs) if usable else [],
            "period": _period(filterset) if usable else None,
            "may_export": request.user.has_perm(EXPORT_PAYMENTS),
        },
    )


@require_GET
@permission_required(VIEW_PAYMENT, EXPORT_PAYMENTS)
def payments_export(request: HttpRequest) -> HttpResponseBase:
    """The payments list's filter as CSV, newest first, streamed from a server-side cursor; audited."""
    filterset = PaymentFilter(payment_filter_data(request), queryset=Payment.objects.all())
    if not filter_usable(filterset):
        messages.error(request, _("Fix the filters before exporting."))
        return redirect(f"{reverse('billing:payments')}?{filter_query(request)}")
    _export_audited(Payment, filterset)
    rows = selectors.export_rows_streamed(selectors.payments_export_rows(filterset.qs))
    return _csv_export(rows, selectors.PAYMENT_EXPORT_COLUMNS, selectors.PAYMENT_EXPORT_TYPED, name="payments")


@require_GET
@permission_required(VIEW_PAYMENT)
def payment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    payment = _payment_or_404(pk)
    return render(request, "billing/payment.html", _payment_context(request, payment, RefundRequestForm()))


@require_POST
@permission_required(VIEW_PAYMENT, ADD_REFUND)
def payment_refund(request: HttpRequest, pk: int) -> HttpResponse:
    payment = _payment_or_404(pk)
    form = RefundRequestForm(request.POST)
    if form.is_valid():
        try:
            refund = services.refund_request(
                payment=payment,
                amount=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
                requested_by=request.user,
            )
        except ValidationError as refusal:
            messages.error(request, refusal_text(refusal))
        else:
            messages.success(
                request,
                _("Refund #%(id)s of %(amount)s requested: someone else who may approve refunds decides on it.")
                % {"id": refund.pk, "amount": money(refund.amount, payment.currency)},
            )
            return redirect("billing:payment", pk=payment.pk)
    else:
        form_errors_told(request, form)
    return render(request, "billing/payment.html", _payment_context(request, payment, form), status=400)


# Refunds


@require_GET
@permission_required(VIEW_REFUND)
def refunds(request: HttpRequest) -> HttpResponse:
    filterset = RefundFilter(refund_filter_data(request), queryset=Refund.objects.all())
    usable = filter_usable(filterset)
    status = filterset.form.cleaned_data.get("status") if usable else None
    # Refunds waiting for someone are worked oldest first; the others read newest first.
    waiting = status in (RefundStatus.REQUESTED, RefundStatus.APPROVED)
    page = _keyset(request, selectors.refund_rows(filterset.qs) if usable else None, descending=not waiting)
    return render(
        request,
        "billing/refunds.html",
        {
            "filter": filterset,
            "filter_fields": filter_bar(filterset),
            "filter_query": filter_query(request),
            "page": page,
            "waiting": waiting,
            "rows": refund_rows(page.rows, user=request.user),
            "tabs": _refund_tabs(filterset, status),
            "may_export": request.user.has_perm(EXPORT_PAYMENTS),
            "back": request.get_full_path(),
        },
    )


@require_GET
@permission_required(VIEW_REFUND, EXPORT_PAYMENTS)
def refunds_export(request: HttpRequest) -> HttpResponseBase:
    """The refunds queue's filter as CSV, newest first, streamed; audited."""
    filterset = RefundFilter(refund_filter_data(request), queryset=Refund.objects.all())
    if not filter_usable(filterset):
        messages.error(request, _("Fix the filters before exporting."))
        return redirect(f"{reverse('billing:refunds')}?{filter_query(request)}")
    _export_audited(Refund, filterset)
    rows = selectors.export_rows_streamed(selectors.refunds_export_rows(filterset.qs))
    return _csv_export(rows, selectors.REFUND_EXPORT_COLUMNS, selectors.REFUND_EXPORT_TYPED, name="refunds")


@require_POST
@permission_required(VIEW_REFUND, APPROVE_REFUND)
def refund_approve(request: HttpRequest, pk: int) -> HttpResponse:
    refund = _refund_or_404(pk)
    form = RefundDecisionForm(request.POST)
    return _decided(
        request,
        form,
        lambda: services.refund_approve(refund=refund, approved_by=request.user),
        _("Refund #%(id)s approved: it can now be processed.") % {"id": refund.pk},
    )


@require_POST
@permission_required(VIEW_REFUND, APPROVE_REFUND)
def refund_reject(request: HttpRequest, pk: int) -> HttpResponse:
    refund = _refund_or_404(pk)
    form = RefundRejectForm(request.POST)
    return _decided(
        request,
        form,
        lambda: services.refund_reject(
            refund=refund, rejected_by=request.user, reason=form.cleaned_data.get("reason", "")
        ),
        _("Refund #%(id)s rejected; the payer is told why.") % {"id": refund.pk},
    )


@require_POST
@permission_required(VIEW_REFUND, PROCESS_REFUND)
def refund_process(request: HttpRequest, pk: int) -> HttpResponse:
    refund = _refund_or_404(pk)
    form = RefundDecisionForm(request.POST)

    def process() -> str:
        done = services.refund_process(refund=refund, processed_by=request.user)
        values = {
            "id": done.pk,
            "amount": money(done.amount, done.payment.currency),
            "status": done.payment.get_status_display().lower(),
        }
        return _("Refund #%(id)s processed: %(amount)s goes back to the payer; the payment is now %(status)s.") % values

    return _decided(request, form, process, "")


# Earnings


@require_GET
@permission_required(VIEW_PAYMENT)
def earnings(request: HttpRequest) -> HttpResponse:
    filterset = EarningsFilter(earnings_filter_data(request), queryset=selectors.earning_payments())
    usable = filter_usable(filterset)
    typed = filterset.form.cleaned_data.get("consultant") if usable else None
    context = {
        "filter": filterset,
        "filter_fields": filter_bar(filterset),
        "filter_query": filter_query(request),
        "usable": usable,
        "consultant": None,
        "to_pick": [],
        "months": [],
        "ranking": None,
        "totals": [],
        "consultant_query": _without(request, "consultant", "month_from", "month_to", "page"),
    }
    if usable and isinstance(typed, int):
        consultant = selectors.consultant_for_page(typed)
        if consultant is None:
            messages.error(request, _("No consultant has the id %(id)s.") % {"id": typed})
        else:
            context.update(
                consultant=consultant,
                months=selectors.earnings_by_month(filterset.qs),
                totals=selectors.earnings_totals(filterset.qs),
            )
    elif usable and typed:
        matches = selectors.consultants_matching(typed, limit=CONSULTANTS_TO_PICK + 1)
        if len(matches) == 1:  # the one meant: shown by id, so the address names them
            return redirect(_with(request, consultant=str(matches[0].pk)))
        if not matches:
            messages.warning(request, _("No consultant's name or e-mail contains “%(text)s”.") % {"text": typed})
        context["to_pick"] = [
            {"consultant": consultant, "url": _with(request, consultant=str(consultant.pk))}
            for consultant in matches[:CONSULTANTS_TO_PICK]
        ]
        context["more_to_pick"] = len(matches) > CONSULTANTS_TO_PICK
    elif usable:
        page = _sliced_page(selectors.earnings_ranking(filterset.qs), request.GET.get("page", ""))
        context.update(
            ranking=page,
            ranking_rows=selectors.earnings_rows(page["rows"]),
            totals=selectors.earnings_totals(filterset.qs),
            page_query=_without(request, "page"),
        )
    return render(request, "billing/earnings.html", context)


# Commission rules


@require_GET
@permission_required(VIEW_COMMISSION)
def commissions(request: HttpRequest) -> HttpResponse:
    form = ServiceSearchForm(request.GET or None)
    text = ""
    if form.is_bound and not form.is_valid():
        form_errors_told(request, form)
    elif form.is_bound:
        text = form.cleaned_data["q"]
    page = Paginator(selectors.services_matching(text), SERVICES_PAGE_SIZE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    services_shown = list(page.object_list)
    resolved = selectors.commission_rules_today(services=services_shown, day=today)
    return render(
        request,
        "billing/commissions.html",
        {
            "form": form,
            "search": text,
            "page": page,
            "page_query": _without(request, "page"),
            "services": [
                {"service": service, "level": resolved[service.pk][0], "rule": resolved[service.pk][1]}
                for service in services_shown
            ],
            "categories": selectors.category_rules_today(day=today),
            "default_rule": selectors.default_rule_today(day=today),
            "fallback_rate": settings.PLATFORM_DEFAULT_COMMISSION_PERCENT,
            "today": today,
        },
    )


@require_GET
@permission_required(VIEW_COMMISSION)
def service_commission(request: HttpRequest, pk: int) -> HttpResponse:
    service = _object_or_404(Service.objects.select_related("category", "consultant__user"), pk)
    form = CommissionDayForm(request.GET or None)
    day = None
    if form.is_bound and not form.is_valid():
        form_errors_told(request, form)
    elif form.is_bound:
        day = form.cleaned_data["day"]
    today = timezone.localdate()
    view = selectors.service_commission_view(service=service, day=day or today)
    fallback = settings.PLATFORM_DEFAULT_COMMISSION_PERCENT
    return render(
        request,
        "billing/service_commission.html",
        {
            "service": service,
            "form": form,
            "view": view,
            "is_today": view.day == today,
            "applied_rate": quantity(view.applied.rate_percent if view.applied else fallback, "%"),
            "reason": commission_reason(view, service=service, fallback_rate=fallback),
            "levels": level_cards(view, service=service, fallback_rate=fallback),
            "histories": [
                (_("This service's rules"), rule_rows(view.service_history, view.day)),
                (
                    _("Rules of the category “%(category)s”") % {"category": service.category.name},
                    rule_rows(view.category_history, view.day),
                ),
                (_("Platform default rules"), rule_rows(view.default_history, view.day)),
            ],
            "may_edit_rules": request.user.has_perm("billing.change_servicecommission"),
        },
    )


# Helpers


def _object_or_404(queryset, pk: int):
    """The row ``pk`` of ``queryset``; 404 for none, and for an id no row can have (past a bigint)."""
    row = queryset.filter(pk=pk).first() if 0 < pk < BIGINT_LIMIT else None
    if row is None:
        raise Http404
    return row


def _payment_or_404(pk: int) -> Payment:
    payment = selectors.payment_for_page(pk) if 0 < pk < BIGINT_LIMIT else None
    if payment is None:
        raise Http404
    return payment


def _refund_or_404(pk: int) -> Refund:
    return _object_or_404(Refund.objects.all(), pk)


def _payment_context(request: HttpRequest, payment: Payment, form: RefundRequestForm) -> dict:
    user = request.user
    may_view_refunds, may_ask = user.has_perm(VIEW_REFUND), user.has_perm(ADD_REFUND)
    # Asking for a refund shows how much is left, which the refunds of the payment decide.
    refunds_of_payment = selectors.payment_refunds(payment) if may_view_refunds or may_ask else []
    holding = sum(
        (refund.amount for refund in refunds_of_payment if refund.status in services.HOLDING_STATUSES), Decimal(0)
    )
    refundable = payment.status in services.REFUNDABLE_STATUSES
    currency = payment.currency
    return {
        "payment": payment,
        "status_class": f"pay-{payment.status.lower()}",
        "consultant_refunded": payment.refunded_amount - payment.platform_fee_refunded,
        "consultant_net": payment.consultant_amount - (payment.refunded_amount - payment.platform_fee_refunded),
        "fee_net": payment.platform_fee - payment.platform_fee_refunded,
        "total_net": payment.amount - payment.refunded_amount,
        "rule_text": recorded_rule_text(payment),
        "may_view_commission": user.has_perm(VIEW_COMMISSION),
        "may_view_refunds": may_view_refunds,
        "refunds": refund_rows(refunds_of_payment, user=user, payment=payment) if may_view_refunds else [],
        "available": payment.amount - holding,
        "may_request": may_ask and refundable,
        "refundable": refundable,
        "form": form,
        "currency": currency,
        "back": request.path,
    }


def _decided(request: HttpRequest, form, change, success: str) -> HttpResponse:
    """Runs ``change`` (a service call) unless ``form`` is refused; the refusal, or ``success`` (or the
    text ``change`` returns), as a message; then back where the form came from."""
    if not form.is_valid():
        form_errors_told(request, form)
        return redirect(_back(request, ""))
    try:
        outcome = change()
    except ValidationError as refusal:
        messages.error(request, refusal_text(refusal))
    else:
        messages.success(request, outcome if isinstance(outcome, str) else success)
    return redirect(_back(request, form.cleaned_data.get("next", "")))


def _back(request: HttpRequest, target: str) -> str:
    """``target`` if it is one of the finance pages on this site, else the refunds queue."""
    if (
        isinstance(target, str)
        and target.startswith(FINANCE_PREFIX)
        and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()})
    ):
        return target
    return reverse("billing:refunds")


def _keyset(request: HttpRequest, queryset, *, descending: bool) -> KeysetPage:
    """The requested keyset page of ``queryset`` (None: a bad filter, so an empty page); the first
    page, with a message, when the page link is not one of ours."""
    if queryset is None:
        return KeysetPage([], previous=None, following=None)
    before, after = request.GET.get("before", ""), request.GET.get("after", "")
    try:
        return keyset_page(queryset, descending=descending, size=PAGE_SIZE, before=before, after=after)
    except BadPageToken:
        messages.warning(request, _("That page link is not valid; showing the first page."))
        return keyset_page(queryset, descending=descending, size=PAGE_SIZE)


# Page numbers past this are not followed (an OFFSET that large would be a scan of its own).
LAST_PAGE_NUMBER = 1_000


def _sliced_page(queryset, number: str) -> dict:
    """Page ``number`` (from 1) of ``queryset``, ``PAGE_SIZE`` rows, and whether pages come before and
    after it: one query, with no COUNT (counting a grouped query costs as much as reading it)."""
    page = int(number) if number.isascii() and number.isdigit() and len(number) < 6 else 1
    page = min(max(page, 1), LAST_PAGE_NUMBER)
    start = (page - 1) * PAGE_SIZE
    rows = list(queryset[start : start + PAGE_SIZE + 1])
    return {
        "rows": rows[:PAGE_SIZE],
        "number": page,
        "previous": page - 1 if page > 1 else None,
        "following": page + 1 if len(rows) > PAGE_SIZE and page < LAST_PAGE_NUMBER else None,
    }


def _period(filterset: PaymentFilter) -> dict:
    cleaned = filterset.form.cleaned_data
    return {"start": cleaned.get("date_from"), "end": cleaned.get("date_to")}


def _refund_tabs(filterset: RefundFilter, current: str | None) -> list[dict]:
    counts = selectors.refund_counts_by_status()
    others = filterset.data.copy()
    others.pop("status", None)
    rest = others.urlencode()
    tabs = [
        {"label": label, "status": status, "count": counts.get(status, 0)} for status, label in RefundStatus.choices
    ]
    tabs.append({"label": _("All"), "status": ALL, "count": sum(counts.values())})
    for tab in tabs:
        tab["query"] = f"status={tab['status']}" + (f"&{rest}" if rest else "")
        tab["current"] = tab["status"] == current
    return tabs


def _export_audited(model: type[Model], filterset) -> None:
    """The export itself goes on the audit trail, with the filter it was made with, as it was typed (a
    consultant's name, not the ids it found) and with the default period when none was asked for."""
    cleaned, typed = filterset.form.cleaned_data, filterset.form.data
    filters = {name: str(typed.get(name, value)) for name, value in cleaned.items() if value not in (None, "", [])}
    services.export_record(model=model, filters=filters)


def _csv_export(rows: Iterator[tuple[str, ...]], columns, typed: frozenset[str], *, name: str) -> HttpResponseBase:
    """``rows`` (text, ``selectors.payments_export_rows``) as a streamed CSV download, the ``typed``
    columns made formula-safe, sent in blocks of lines."""
    header = [column for column, _lookup in columns]
    safe = _formula_safe_rows(rows, tuple(index for index, column in enumerate(header) if column in typed))
    # Every value is already text: str hands it to the writer as it is (csv_cell would test each of them).
    return csv_download(_in_blocks(csv_lines(header, safe, cell=str)), name=name)


FORMULA_START_CHARACTERS = frozenset(FORMULA_START)


def _formula_safe_rows(rows: Iterator[tuple[str, ...]], typed: tuple[int, ...]) -> Iterator[tuple[str, ...]]:
    for row in rows:
        if any(row[index][:1] in FORMULA_START_CHARACTERS for index in typed):
            row = tuple(formula_safe(value) if index in typed else value for index, value in enumerate(row))
        yield row


# Lines sent to the client at a time: one write per line would cost a system call per row.
LINES_PER_BLOCK = 500


def _in_blocks(lines: Iterator[str]) -> Iterator[str]:
    block: list[str] = []
    for line in lines:
        block.append(line)
        if len(block) == LINES_PER_BLOCK:
            yield "".join(block)
            block.clear()
    if block:
        yield "".join(block)


def _with(request: HttpRequest, **values: str) -> str:
    """This page's address with ``values`` in its query string (and no page number)."""
    data = request.GET.copy()
    data.pop("page", None)
    for name, value in values.items():
        data[name] = value
    return f"{request.path}?{data.urlencode()}"


def _without(request: HttpRequest, *names: str) -> str:
    """This page's query string without ``names``, ready for more parameters (ends with "&" when not empty)."""
    data = request.GET.copy()
    for name in names:
        data.pop(name, None)
    encoded = data.urlencode()
    return f"{encoded}&" if encoded else ""


# What the pages show, as plain values: a page of 50 rows otherwise spends more time in template
# filters and {% url %} than in its query. Links are built from one reversed prefix.


def payment_rows(payments: list[Payment], *, filter_data) -> list[dict]:
    detail = reverse("billing:payment", args=[0]).removesuffix("0/")
    others = filter_data.copy()
    for name in ("consultant", "before", "after"):
        others.pop(name, None)
    by_consultant = f"?{others.urlencode()}&consultant=" if others else "?consultant="
    statuses = dict(PaymentStatus.choices)
    rows = []
    for payment in payments:
        currency, booking = payment.currency, payment.booking
        consultant = booking.consultant.user
        rows.append(
            {
                "payment": payment,
                "url": f"{detail}{payment.pk}/",
                "when": timezone.localtime(payment.created_at),
                "payer": payment.payer.full_name or payment.payer.email,
                "payer_email": payment.payer.email,
                "consultant": consultant.full_name or consultant.email,
                "consultant_url": f"{by_consultant}{booking.consultant_id}",
                "service": booking.service.title,
                "amount": money(payment.amount, currency),
                "fee": money(payment.platform_fee, currency),
                "share": money(payment.consultant_amount, currency),
                "refunded": money(payment.refunded_amount, currency) if payment.refunded_amount else "",
                "status": statuses.get(payment.status, payment.status),
                "status_class": f"pay-{payment.status.lower()}",
            }
        )
    return rows


def refund_rows(refunds: list[Refund], *, user, payment: Payment | None = None) -> list[dict]:
    """Each refund with what ``user`` may do with it: approve or reject (not their own request),
    process. ``payment``: the refunds are all of this one (its page), already loaded."""
    detail = reverse("billing:payment", args=[0]).removesuffix("0/")
    actions = reverse("billing:refund_approve", args=[0]).removesuffix("0/approve/")
    may_decide, may_process = user.has_perm(APPROVE_REFUND), user.has_perm(PROCESS_REFUND)
    statuses = dict(RefundStatus.choices)
    rows = []
    for refund in refunds:
        paid = payment or refund.payment
        own = refund.requested_by_id == user.pk
        requested = refund.status == RefundStatus.REQUESTED
        rows.append(
            {
                "refund": refund,
                "payment": paid,
                "payment_url": f"{detail}{paid.pk}/",
                "action_url": f"{actions}{refund.pk}/",
                "amount": money(refund.amount, paid.currency),
                "status": statuses.get(refund.status, refund.status),
                "status_class": f"refund-{refund.status.lower()}",
                "own": own and requested,
                "may_decide": may_decide and requested and not own,
                "may_process": may_process and refund.status == RefundStatus.APPROVED,
                "reversed": (
                    {
                        "fee": money(refund.platform_fee_reversed, paid.currency),
                        "share": money(refund.consultant_amount_reversed, paid.currency),
                    }
                    if refund.status == RefundStatus.PROCESSED
                    else None
                ),
            }
        )
    return rows


def recorded_rule_text(payment: Payment) -> str:
    """Which rule the payment's split was made by, as recorded on it."""
    rule, rate = payment.commission_rule, payment.commission_rate_percent
    if rule is not None:
        return _("%(scope)s rule of %(rate)s, %(period)s.") % {
            "scope": _scope_name(rule),
            "rate": quantity(rule.rate_percent, "%"),
            "period": _period_text(rule),
        }
    if rate is not None:
        return _("No rule was in force when it was paid: the fallback rate of %(rate)s applied.") % {
            "rate": quantity(rate, "%")
        }
    return _("Recorded before payments kept their rule: the split is as recorded.")


def commission_reason(view: selectors.ServiceCommissionView, *, service: Service, fallback_rate: Decimal) -> str:
    """Why the rate that applies on ``view.day`` is the one it is, in a sentence."""
    rule = view.applied
    category = service.category.name
    if view.level == selectors.CommissionLevel.FALLBACK or rule is None:
        return _(
            "No service, category or default rule is in force: payments are split at the fallback rate of "
            "%(rate)s (the PLATFORM_DEFAULT_COMMISSION_PERCENT setting)."
        ) % {"rate": quantity(fallback_rate, "%")}
    values = {"rate": quantity(rule.rate_percent, "%"), "period": _period_text(rule), "category": category}
    if view.level == selectors.CommissionLevel.SERVICE:
        return (
            _(
                "This service's own rule of %(rate)s (%(period)s) applies: it comes before the rules of its "
                "category “%(category)s” and the platform default."
            )
            % values
        )
    if view.level == selectors.CommissionLevel.CATEGORY:
        return _("No service rule is in force; the category “%(category)s” rule of %(rate)s (%(period)s) applies.") % (
            values
        )
    return _("No service or category rule is in force; the platform default of %(rate)s (%(period)s) applies.") % values


def level_cards(view: selectors.ServiceCommissionView, *, service: Service, fallback_rate: Decimal) -> list[dict]:
    """The three levels, highest first, each with its rule in force on ``view.day`` and whether it is
    the one that applies, is overridden by a higher one, or has nothing to say."""
    Level = selectors.CommissionLevel
    levels = (
        (Level.SERVICE, _("Service"), service.title, view.service_rule),
        (Level.CATEGORY, _("Category"), service.category.name, view.category_rule),
        (Level.DEFAULT, _("Platform default"), _("every service"), view.default_rule),
    )
    order = [level for level, *_rest in levels]
    cards = []
    for level, title, scope, rule in levels:
        if rule is None:
            verdict, state = _("No rule in force"), "none"
        elif level == view.level:
            verdict, state = _("Applies"), "applies"
        elif view.level in order and order.index(view.level) < order.index(level):
            verdict, state = _("Overridden by a rule above"), "overridden"
        else:
            verdict, state = _("Not reached"), "none"
        cards.append(
            {
                "title": title,
                "scope": scope,
                "rule": rule,
                "rate": quantity(rule.rate_percent, "%") if rule else "",
                "period": _period_text(rule) if rule else "",
                "verdict": verdict,
                "state": state,
            }
        )
    if view.level == Level.FALLBACK:
        cards.append(
            {
                "title": _("Fallback"),
                "scope": _("no rule in force"),
                "rule": None,
                "rate": quantity(fallback_rate, "%"),
                "period": _("the PLATFORM_DEFAULT_COMMISSION_PERCENT setting"),
                "verdict": _("Applies"),
                "state": "applies",
            }
        )
    return cards


RULE_STATE_LABELS = {
    selectors.RuleState.IN_FORCE: gettext_lazy("In force"),
    selectors.RuleState.SCHEDULED: gettext_lazy("Scheduled"),
    selectors.RuleState.ENDED: gettext_lazy("Ended"),
    selectors.RuleState.INACTIVE: gettext_lazy("Inactive"),
}


def rule_rows(rules: list[ServiceCommission], day) -> list[dict]:
    rows = []
    for rule in rules:
        state = selectors.rule_state(rule, day)
        rows.append(
            {
                "rule": rule,
                "rate": quantity(rule.rate_percent, "%"),
                "state": state.value,
                "state_label": RULE_STATE_LABELS[state],
            }
        )
    return rows


def _scope_name(rule: ServiceCommission) -> str:
    if rule.service_id:
        return _("Service")
    if rule.category_id:
        return _("Category “%(category)s”") % {"category": rule.category}
    return _("Platform default")


def _period_text(rule: ServiceCommission) -> str:
    start = rule.effective_from.isoformat()
    if rule.effective_to is None:
        return _("since %(start)s") % {"start": start}
    return _("%(start)s to %(end)s") % {"start": start, "end": rule.effective_to.isoformat()}
