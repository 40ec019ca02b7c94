"""Staff pages of the audit trail and the system log: filtered lists, one event, one entity's history,
the CSV export, and asking for a chain verification.

Views check a permission, read through ``auditing.selectors`` and render; writes (the export's own
audit event, starting a verification) go through services and tasks.
"""

import re
from urllib.parse import quote as urlquote

from django.conf import settings
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.rbac_catalog import EXPORT_AUDIT_LOG, VIEW_AUDIT_LOG, VIEW_SYSTEM_LOG
from auditing import presentation, selectors
from auditing.chain import audit_chain_last_verdict
from auditing.filters import AuditLogFilter, SystemLogFilter
from auditing.models import AuditAction, AuditLog, SystemLog
from auditing.sealing import audit_seal_status_cached
from auditing.services import audit_export_record
from core.access import permission_required
from core.csv_export import csv_cell, csv_download, csv_lines, formula_safe
from core.filters import filter_bar, filter_data, filter_query, filter_usable
from core.keyset import BadPageToken, KeysetPage, keyset_page
from operations.services import job_run_request

ENTITY_TYPE = re.compile(r"^[a-z_]+\.[a-z0-9_]+$")


@require_GET
@permission_required(VIEW_AUDIT_LOG)
def audit_list(request):
    filterset = AuditLogFilter(filter_data(request), queryset=AuditLog.objects.all())
    page = _page(request, selectors.audit_events(filterset.qs) if filter_usable(filterset) else None)
    return render(
        request,
        "auditing/audit_list.html",
        {
            "filter": filterset,
            "filter_fields": filter_bar(filterset),
            "page": page,
            "events": _event_rows(page.rows),
            "verdict": audit_chain_last_verdict(),
            "seal": audit_seal_status_cached(),
            "seal_lag_alert_seconds": settings.AUDIT_SEAL_LAG_ALERT_SECONDS,
            "can_export": request.user.has_perm(EXPORT_AUDIT_LOG),
            "filter_query": filter_query(request),
        },
    )


@require_GET
@permission_required(VIEW_AUDIT_LOG)
def audit_detail(request, pk: int):
    event = get_object_or_404(selectors.audit_events(), pk=pk)
    labels = presentation.Labels.for_events([event])
    return render(
        request,
        "auditing/audit_detail.html",
        {
            "event": event,
            "actor": presentation.actor_display(event),
            "entity_name": presentation.entity_name(event.entity_type),
            "entity": presentation.entity_display(event, labels),
            "diff": presentation.diff_rows(event.entity_type, event.changes, labels),
            "entity_admin_url": presentation.entity_admin_url(event.entity_type, event.entity_id),
        },
    )


@require_GET
@permission_required(VIEW_AUDIT_LOG)
def entity_history(request, entity_type: str, entity_id: str):
    if not ENTITY_TYPE.match(entity_type) or len(entity_id) > 64:
        raise Http404("No such entity.")
    page = _page(request, selectors.entity_history(entity_type=entity_type, entity_id=entity_id))
    labels = presentation.Labels.for_events(page.rows)
    return render(
        request,
        "auditing/entity_history.html",
        {
            "entity_type": entity_type,
            "entity_id": entity_id,
            "entity_name": presentation.entity_name(entity_type),
            "entity_admin_url": presentation.entity_admin_url(entity_type, entity_id),
            "page": page,
            "entity": presentation.entity_display(page.rows[0], labels) if page.rows else "",
            "events": [
                {
                    "event": event,
                    "actor": presentation.actor_display(event),
                    "when": timezone.localtime(event.created_at),
                    "diff": presentation.diff_rows(event.entity_type, event.changes, labels),
                }
                for event in page.rows
            ],
        },
    )


@require_GET
@permission_required(VIEW_AUDIT_LOG, EXPORT_AUDIT_LOG)
def audit_export(request):
    """The current filter's events as CSV, newest first, streamed; the export itself is audited."""
    filterset = AuditLogFilter(filter_data(request), queryset=AuditLog.objects.all())
    if not filter_usable(filterset):
        messages.error(request, _("Fix the filters before exporting."))
        return redirect(f"{reverse('auditing:audit_list')}?{filter_query(request)}")
    cleaned = filterset.form.cleaned_data if filterset.is_bound else {}
    audit_export_record(filters={key: value for key, value in cleaned.items() if value not in (None, "", [])})
    rows = filterset.qs.order_by("-created_at", "-id").values_list(*EXPORT_COLUMNS).iterator(chunk_size=2_000)
    return csv_download(csv_lines(EXPORT_COLUMNS, rows, cell=_cell), name="audit-trail")


@require_POST
@permission_required(VIEW_AUDIT_LOG)
def audit_chain_verify(request):
    job_run_request(job_name="audit-chain-verify", by=request.user)
    messages.success(
        request, _("Verification started: it seals what it can, then checks; the badge shows its verdict.")
    )
    return redirect("auditing:audit_list")


@require_GET
@permission_required(VIEW_SYSTEM_LOG)
def systemlog_list(request):
    filterset = SystemLogFilter(filter_data(request), queryset=SystemLog.objects.all())
    page = _page(request, filterset.qs if filter_usable(filterset) else None)
    return render(
        request,
        "auditing/systemlog_list.html",
        {
            "filter": filterset,
            "filter_fields": filter_bar(filterset),
            "page": page,
            "filter_query": filter_query(request),
        },
    )


@require_GET
@permission_required(VIEW_SYSTEM_LOG)
def systemlog_detail(request, pk: int):
    entry = get_object_or_404(SystemLog, pk=pk)
    return render(request, "auditing/systemlog_detail.html", {"entry": entry})


# Helpers


EXPORT_COLUMNS = (
    "id", "created_at", "action", "actor_label", "actor_id", "entity_type", "entity_id", "changes", "ip_address",
    "user_agent", "request_id", "database_role", "row_hash",
)  # fmt: skip


def _cell(value) -> str:
    if isinstance(value, dict | list):
        return formula_safe(presentation.display(value))
    return csv_cell(value)


def _page(request, queryset) -> KeysetPage:
    """The requested page of ``queryset`` (None: an invalid filter, so an empty page); the newest page,
    with a message, when the page link is not one of ours."""
    if queryset is None:
        return KeysetPage([], previous=None, following=None)
    try:
        return keyset_page(queryset, before=request.GET.get("before", ""), after=request.GET.get("after", ""))
    except BadPageToken:
        messages.warning(request, _("That page link is not valid; showing the newest entries."))
        return keyset_page(queryset)


def _event_rows(events: list[AuditLog]) -> list[dict]:
    """What each list row shows, as plain strings: a page of 50 rows otherwise spends more time in
    ``{% url %}`` and ``|date`` than in its query. Links are built from one reversed prefix."""
    detail_prefix = reverse("auditing:audit_detail", args=[0]).removesuffix("0/")
    history_prefix = reverse("auditing:entity_history", args=["x.y", "0"]).removesuffix("x.y/0/")
    actions = dict(AuditAction.choices)
    labels = presentation.Labels.for_events(events)
    return [
        {
            "event": event,
            "when": timezone.localtime(event.created_at).strftime("%Y-%m-%d %H:%M:%S"),
            "timezone": timezone.get_current_timezone_name(),
            "detail_url": f"{detail_prefix}{event.pk}/",
            "history_url": f"{history_prefix}{event.entity_type}/{urlquote(event.entity_id or '-')}/",
            "entity": presentation.entity_display(event, labels),
            "actor": presentation.actor_display(event),
            "action": actions.get(event.action, event.action),
            "action_class": event.action.lower(),
            "summary": presentation.change_summary(event.entity_type, event.changes, labels),
        }
        for event in events
    ]
