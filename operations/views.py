"""The operations staff pages: the periodic jobs with their last and next runs (and "run now"), one
job's history, and the system settings.

Views check a permission, read through ``operations.selectors`` and hand every change to
``operations.services``; a refusal comes back as a message, or next to its field, with nothing written.
"""

import logging
from datetime import datetime

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.timesince import timesince, timeuntil
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from core.access import permission_required
from core.feedback import refusal_text
from core.filters import filter_bar, filter_data, filter_query, filter_usable
from core.keyset import BadPageToken, KeysetPage, keyset_page
from operations import selectors, services
from operations.filters import JobRunFilter
from operations.forms import SystemSettingsForm
from operations.jobs import JOBS_BY_NAME, Job
from operations.models import JobOutcome, JobRun, JobTrigger
from operations.permissions import CHANGE_SYSTEM_SETTINGS, RUN_JOB, VIEW_JOB_RUNS, VIEW_SYSTEM_SETTINGS
from operations.presentation import (
    error_first_line,
    result_pretty,
    result_summary,
    run_duration,
    schedule_describe,
    setting_value_text,
)

logger = logging.getLogger(__name__)

PAGE_SIZE = 50
# A run expected this long ago and not started yet is late: beat may not be running.
LATE_AFTER_SECONDS = 120
SKIP_REASONS = {
    "already running": lambda: _("another run of it has not finished yet"),
    "switched off": lambda: _("it is switched off"),
}


# Jobs


@require_GET
@permission_required(VIEW_JOB_RUNS)
def jobs(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    rows = [_job_row(item, now) for item in selectors.jobs_overview(now=now)]
    return render(
        request,
        "operations/jobs.html",
        {
            "rows": rows,
            "counts": {
                "jobs": len(rows),
                "off": sum(1 for row in rows if not row["enabled"]),
                "failing": sum(
                    1 for row in rows if row["last_run"] and row["last_run"]["outcome"] == JobOutcome.FAILED
                ),
                "failures": sum(row["failures"] for row in rows),
            },
            "may_run": request.user.has_perm(RUN_JOB),
            "in_process": settings.CELERY_TASK_ALWAYS_EAGER,
        },
    )


@require_GET
@permission_required(VIEW_JOB_RUNS)
def job_history(request: HttpRequest, name: str) -> HttpResponse:
    job = _job_or_404(name)
    filterset = JobRunFilter(filter_data(request), queryset=selectors.job_runs(job=job))
    page = _keyset(request, filterset.qs if filter_usable(filterset) else None)
    now = timezone.now()
    (overview,) = selectors.jobs_overview(now=now, jobs=(job,))
    return render(
        request,
        "operations/job_history.html",
        {
            "job": _job_row(overview, now),
            "filter": filterset,
            "filter_fields": filter_bar(filterset),
            "filter_query": filter_query(request),
            "page": page,
            "runs": [_run_row(run) for run in page.rows],
            "may_run": request.user.has_perm(RUN_JOB),
            "in_process": settings.CELERY_TASK_ALWAYS_EAGER,
        },
    )


@require_POST
@permission_required(VIEW_JOB_RUNS, RUN_JOB)
def job_run(request: HttpRequest, name: str) -> HttpResponse:
    """Runs the job now (``services.job_run_now``) and says how it went: queued for a worker, or, run in
    this process when there is no broker, its outcome. Back to the jobs page, or to the job's history
    when asked from there (``?back=history``)."""
    job = _job_or_404(name)
    asked_at = timezone.now()
    try:
        task_id = services.job_run_now(job_name=job.name, by=request.user)
    except PermissionDenied:
        raise
    except ValidationError as refusal:
        messages.error(request, refusal_text(refusal))
    except Exception:
        # Without a broker the job runs in this request and its error comes back here; its run recorded
        # it. Otherwise the queue could not be reached.
        run = selectors.job_run_asked(job=job, by=request.user, since=asked_at)
        if run is None:
            logger.exception("Run now of %s could not be queued", job.name)
            messages.error(
                request, _("“%(job)s” could not be queued: is the message broker running?") % {"job": job.name}
            )
        else:
            _tell_run(request, job, run)
    else:
        _tell_run(request, job, selectors.job_run_asked(job=job, by=request.user, since=asked_at, task_id=task_id))
    if request.GET.get("back") == "history":
        return redirect("operations:job_history", name=job.name)
    return redirect("operations:jobs")


def _tell_run(request: HttpRequest, job: Job, run: JobRun | None) -> None:
    values = {"job": job.name}
    if run is None or run.outcome == JobOutcome.RUNNING:
        messages.success(
            request, _("“%(job)s” is queued: a worker runs it shortly, and its outcome shows in its history.") % values
        )
    elif run.outcome == JobOutcome.SUCCEEDED:
        values.update(duration=run_duration(run.duration_ms), summary=result_summary(run.result))
        text = (
            _("“%(job)s” ran now and succeeded in %(duration)s: %(summary)s.")
            if values["summary"]
            else _("“%(job)s” ran now and succeeded in %(duration)s.")
        )
        messages.success(request, text % values)
    elif run.outcome == JobOutcome.FAILED:
        values["error"] = error_first_line(run.error) or _("no reason was recorded")
        messages.error(request, _("“%(job)s” ran now and failed: %(error)s") % values)
    else:
        reason = (run.result or {}).get("skipped") if isinstance(run.result, dict) else None
        values["reason"] = SKIP_REASONS[reason]() if reason in SKIP_REASONS else str(reason or "—")
        messages.warning(request, _("“%(job)s” did not run: %(reason)s.") % values)


# System settings


@require_http_methods(["GET", "POST"])
@permission_required(VIEW_SYSTEM_SETTINGS)
def system_settings(request: HttpRequest) -> HttpResponse:
    may_change = request.user.has_perm(CHANGE_SYSTEM_SETTINGS)
    states = selectors.system_setting_states()
    status = 200
    if request.method == "POST":
        if not may_change:
            raise PermissionDenied
        form = SystemSettingsForm(request.POST, states=states)
        if form.is_valid():
            if not form.changes:
                messages.info(request, _("Nothing to save: every value is as it was."))
                return redirect("operations:settings")
            try:
                changed = services.system_settings_update(
                    changes=form.changes, by=request.user, shown=form.shown_values
                )
            except ValidationError as refusal:
                # Read again: someone else's change, saved since this request read them, may be the reason.
                states = selectors.system_setting_states()
                form.refusal_add(refusal, states=states)
            else:
                _tell_saved(request, states, changed)
                return redirect("operations:settings")
        messages.error(request, _("Nothing was saved: see what is wrong below."))
        status = 400
    else:
        form = SystemSettingsForm(states=states)
    return render(
        request,
        "operations/settings.html",
        {"form": form, "sections": _setting_sections(form, states, may_change=may_change), "may_change": may_change},
        status=status,
    )


def _tell_saved(request: HttpRequest, states: dict, changed: dict) -> None:
    if not changed:
        messages.info(request, _("Nothing to save: every value is as it was."))
        return
    told = []
    for key, value in changed.items():
        setting = states[key].setting
        job = _job_of_setting(key)
        if job and setting.kind == "bool":
            told.append((_("%(job)s switched on") if value else _("%(job)s switched off")) % {"job": job})
        elif job and setting.kind == "schedule":
            told.append(_("%(job)s runs %(schedule)s") % {"job": job, "schedule": setting_value_text(setting, value)})
        else:
            told.append(
                _("%(label)s: %(value)s") % {"label": setting.label, "value": setting_value_text(setting, value)}
            )
    messages.success(request, _("Saved: %(changes)s.") % {"changes": "; ".join(told)})


def _job_of_setting(key: str) -> str | None:
    """``"jobs.tickets-auto-close.enabled"`` -> ``"tickets-auto-close"``; None for a key of no job."""
    parts = key.split(".")
    return parts[1] if len(parts) == 3 and parts[0] == "jobs" and parts[1] in JOBS_BY_NAME else None


def _setting_sections(form: SystemSettingsForm, states: dict, *, may_change: bool) -> list[dict]:
    """The settings by section, in their declared order; in the periodic jobs' section, one row per job
    with its switch and its schedule side by side."""
    sections: dict[str, dict] = {}
    for key, state in states.items():
        title = str(state.setting.section)
        section = sections.setdefault(title, {"title": title, "slug": key.split(".")[0], "jobs": [], "rows": []})
        job = _job_of_setting(key)
        if job is None:
            section["rows"].append(_setting_row(form, state, may_change=may_change))
        elif state.setting.kind == "bool":
            section["jobs"].append(
                {
                    "name": job,
                    "description": JOBS_BY_NAME[job].description,
                    "history_url": reverse("operations:job_history", args=[job]),
                    "enabled": _setting_row(form, state, may_change=may_change),
                    "schedule": _setting_row(form, states[f"jobs.{job}.schedule"], may_change=may_change),
                }
            )
    return list(sections.values())


def _setting_row(form: SystemSettingsForm, state: selectors.SettingState, *, may_change: bool) -> dict:
    setting, stored = state.setting, state.stored
    key = setting.key
    value = form.input_value(key)
    return {
        "key": key,
        "id": "setting-" + key.replace(".", "-").lower(),
        "label": setting.label,
        "help": setting.help_text,
        "kind": setting.kind,
        "value": _input_text(value),
        "value_text": setting_value_text(setting, state.value),
        "words": schedule_describe(value) if setting.kind == "schedule" and key not in form.errors else "",
        # A schedule's default as written (its words are next to the field); a switch's only when changed.
        "default_text": str(state.default)
        if setting.kind == "schedule"
        else setting_value_text(setting, state.default),
        "show_default": setting.kind != "bool" or state.overridden,
        "min": _bound(setting.min_value),
        "max": _bound(setting.max_value),
        "errors": form.errors.get(key, []) if form.is_bound else [],
        "overridden": state.overridden,
        "same_as_default": state.overridden and state.value == state.default,
        "changed_by": (stored.updated_by.full_name or stored.updated_by.email) if stored and stored.updated_by else "",
        "changed_at": stored.updated_at if stored else None,
        "history_url": (
            reverse("auditing:entity_history", args=["operations.systemsetting", str(stored.pk)]) if stored else ""
        ),
    }


def _input_text(value):
    """What a field shows: a number of hours without a needless ".0" (4, not 4.0); other values as they are."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return value


def _bound(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


# Helpers


def _job_or_404(name: str) -> Job:
    job = JOBS_BY_NAME.get(name)
    if job is None:
        raise Http404(_("There is no job of that name."))
    return job


def _keyset(request: HttpRequest, queryset) -> KeysetPage:
    if queryset is None:
        return KeysetPage([], previous=None, following=None)
    before, after = request.GET.get("before", ""), request.GET.get("after", "")
    try:
        return keyset_page(queryset, column="started_at", size=PAGE_SIZE, before=before, after=after)
    except BadPageToken:
        messages.warning(request, _("That page link is not valid; showing the first page."))
        return keyset_page(queryset, column="started_at", size=PAGE_SIZE)


OUTCOME_LABELS = dict(JobOutcome.choices)
TRIGGER_LABELS = dict(JobTrigger.choices)


def _run_brief(run: JobRun | None) -> dict | None:
    if run is None:
        return None
    return {
        "pk": run.pk,
        "started_at": run.started_at,
        "ago": _ago(run.started_at),
        "outcome": run.outcome,
        "outcome_label": OUTCOME_LABELS.get(run.outcome, run.outcome),
        "outcome_class": f"run-{run.outcome.lower()}",
        "duration": run_duration(run.duration_ms),
        "manual": run.trigger == JobTrigger.MANUAL,
        "requested_by": _person(run),
        "error": error_first_line(run.error),
        "summary": result_summary(run.result),
    }


def _ago(moment: datetime) -> str:
    """ "3 hours, 4 minutes ago"; "just now" under a minute."""
    now = timezone.now()
    if (now - moment).total_seconds() < 60:
        return _("just now")
    return _("%(time)s ago") % {"time": timesince(moment, now)}


def _person(run: JobRun) -> str:
    user = run.requested_by
    if user is None:
        return _("someone since removed") if run.requested_by_id or run.trigger == JobTrigger.MANUAL else ""
    return user.full_name or user.email


def _job_row(item: selectors.JobOverview, now: datetime) -> dict:
    job, next_run = item.job, item.next_run
    next_in = next_late_by = ""
    if not item.enabled:
        next_state = "off"
    elif next_run is None:
        next_state = "unknown"
    elif next_run > now:
        next_state = "planned"
        # One unit is enough for "in 13 hours": the moment itself is shown next to it.
        next_in = timeuntil(next_run, now, depth=1)
    elif (now - next_run).total_seconds() > LATE_AFTER_SECONDS:
        next_state = "late"
        next_late_by = timesince(next_run, now, depth=1)
    else:
        next_state = "due"
    return {
        "name": job.name,
        "description": job.description,
        "history_url": reverse("operations:job_history", args=[job.name]),
        "run_url": reverse("operations:job_run", args=[job.name]),
        "schedule": item.schedule,
        "schedule_words": schedule_describe(item.schedule),
        "enabled": item.enabled,
        "last_run": _run_brief(item.last_run),
        "last_success": _run_brief(item.last_success),
        "next_run": next_run,
        "next_in": next_in,
        "next_late_by": next_late_by,
        "next_state": next_state,
        "failures": item.failures,
    }


def _run_row(run: JobRun) -> dict:
    return {
        **(_run_brief(run) or {}),
        "finished_at": run.finished_at,
        "trigger_label": TRIGGER_LABELS.get(run.trigger, run.trigger),
        "worker": run.worker,
        "task_id": run.task_id,
        "error_full": run.error,
        "result_pretty": result_pretty(run.result),
    }
