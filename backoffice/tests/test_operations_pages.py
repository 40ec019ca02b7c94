"""The operations staff pages (operations.views): the periodic jobs and "run now", one job's history, and
the system settings, each for those allowed only, audited, and never a server error on bad input.

These tests live with the assembled product: they need the RBAC roles (accounts) and read the audit trail
(auditing), both above the operations app.
"""

import re
import time
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.rbac_catalog import (
    CHANGE_SYSTEM_SETTINGS,
    RUN_JOB,
    VIEW_AUDIT_LOG,
    VIEW_JOB_RUNS,
    VIEW_SYSTEM_SETTINGS,
)
from accounts.tests.factories import UserFactory, staff_holding
from auditing.models import AuditLog
from core.testing import messages_shown, signed_in
from operations import services
from operations.jobs import JOBS
from operations.models import JobOutcome, JobRun, JobTrigger, SystemSetting
from operations.system_settings import SETTINGS, system_setting

pytestmark = pytest.mark.django_db

JOBS_PAGE = reverse("operations:jobs")
SETTINGS_PAGE = reverse("operations:settings")
JOB = "job-runs-cleanup"  # quick to run: it deletes old run records
HISTORY = reverse("operations:job_history", args=[JOB])
RUN = reverse("operations:job_run", args=[JOB])
EVERYTHING = (VIEW_JOB_RUNS, RUN_JOB, VIEW_SYSTEM_SETTINGS, CHANGE_SYSTEM_SETTINGS, VIEW_AUDIT_LOG)


@pytest.fixture
def operator():
    """Staff who may do everything on the operations pages, and read the audit trail."""
    return staff_holding(*EVERYTHING, full_name="Olga Operator")


def ran(job: str = JOB, *, minutes_ago: float = 1, outcome=JobOutcome.SUCCEEDED, **fields) -> JobRun:
    started = timezone.now() - timedelta(minutes=minutes_ago)
    return JobRun.objects.create(
        job=job,
        outcome=outcome,
        started_at=started,
        finished_at=started + timedelta(milliseconds=250),
        duration_ms=250,
        **fields,
    )


# Who may do what


ACCESS = [
    ("get", JOBS_PAGE, (VIEW_JOB_RUNS,)),
    ("get", HISTORY, (VIEW_JOB_RUNS,)),
    ("post", RUN, (VIEW_JOB_RUNS, RUN_JOB)),
    ("get", SETTINGS_PAGE, (VIEW_SYSTEM_SETTINGS,)),
    ("post", SETTINGS_PAGE, (VIEW_SYSTEM_SETTINGS, CHANGE_SYSTEM_SETTINGS)),
]


@pytest.mark.parametrize(("method", "url", "needed"), ACCESS)
def test_each_page_and_action_lets_in_holders_of_its_permissions_only(method, url, needed):
    # a holder of what it needs gets in (a page, or a redirect back with a message)
    answer = getattr(signed_in(staff_holding(*needed)), method)(url)
    assert answer.status_code in (200, 302, 400), answer.status_code
    if answer.status_code == 302:
        assert not answer["Location"].startswith(reverse("admin:login"))

    # staff holding everything else but one of them are refused, as are people who are not staff
    for missing in needed:
        others = [perm for perm in EVERYTHING if perm != missing]
        assert getattr(signed_in(staff_holding(*others)), method)(url).status_code == 403, missing
    assert getattr(Client(), method)(url)["Location"].startswith(reverse("admin:login"))
    assert getattr(signed_in(UserFactory()), method)(url)["Location"].startswith(reverse("admin:login"))


def test_a_refused_run_now_runs_nothing_and_a_refused_save_changes_nothing():
    viewer = signed_in(staff_holding(VIEW_JOB_RUNS, VIEW_SYSTEM_SETTINGS))
    assert viewer.post(RUN).status_code == 403
    assert viewer.post(SETTINGS_PAGE, {"logs.retention_days.INFO": "5"}).status_code == 403
    assert not JobRun.objects.exists() and not SystemSetting.objects.exists()


def test_pages_are_read_with_get_and_run_now_is_sent_with_post(operator):
    client = signed_in(operator)
    assert client.get(RUN).status_code == 405
    assert client.put(JOBS_PAGE).status_code == 405
    assert client.post(HISTORY).status_code == 405


def test_the_sidebar_lists_each_operations_page_to_who_may_open_it():
    response = signed_in(staff_holding(VIEW_JOB_RUNS)).get(JOBS_PAGE)
    sidebar = response.content.decode().split('id="nav-sidebar"')[1].split("</nav>")[0]
    assert f'href="{JOBS_PAGE}" aria-current="page"' in sidebar
    assert SETTINGS_PAGE not in sidebar
    assert "/admin/operations/" not in sidebar


# The jobs page


def test_the_jobs_page_lists_every_job_with_its_schedule_last_run_and_next_run(operator):
    # given a job that failed, one switched off by staff and one that never ran
    ran(outcome=JobOutcome.FAILED, error="RuntimeError: the disk is full\n\nTraceback ...", trigger=JobTrigger.SCHEDULE)
    services.system_settings_update(changes={"jobs.tickets-auto-close.enabled": False}, by=operator)

    response = signed_in(operator).get(JOBS_PAGE)

    html = response.content.decode()
    rows = {row["name"]: row for row in response.context["rows"]}
    assert list(rows) == [job.name for job in JOBS]
    failed = rows[JOB]
    assert failed["last_run"]["outcome"] == JobOutcome.FAILED and failed["failures"] == 1
    assert "RuntimeError: the disk is full" in html and "Traceback" not in html
    assert failed["schedule_words"] and failed["next_state"] in ("planned", "due")
    assert rows["tickets-auto-close"]["enabled"] is False and rows["tickets-auto-close"]["next_state"] == "off"
    assert html.count("job-off-badge") == 1
    assert response.context["counts"] == {"jobs": len(JOBS), "off": 1, "failing": 1, "failures": 1}
    assert html.count('class="run-now"') == len(JOBS)


def test_who_may_not_run_jobs_sees_no_run_now_button():
    html = signed_in(staff_holding(VIEW_JOB_RUNS)).get(JOBS_PAGE).content.decode()
    assert 'class="run-now"' not in html and f'href="{HISTORY}"' in html


def test_run_now_runs_the_job_records_who_asked_and_says_how_it_went(operator):
    # when an operator runs the job now (no broker in tests: it runs in this process)
    response = signed_in(operator).post(RUN, follow=True)

    # then its run is recorded as asked for by them, and the page says it succeeded
    run = JobRun.objects.get(job=JOB)
    assert run.trigger == JobTrigger.MANUAL and run.requested_by == operator
    assert run.outcome == JobOutcome.SUCCEEDED
    assert response.redirect_chain[-1][0] == JOBS_PAGE
    assert any(f"“{JOB}” ran now and succeeded" in text for text in messages_shown(response))
    assert (
        response.context["rows"][[job.name for job in JOBS].index(JOB)]["last_run"]["requested_by"] == "Olga Operator"
    )


def test_run_now_from_the_history_comes_back_to_the_history(operator):
    response = signed_in(operator).post(f"{RUN}?back=history", follow=True)
    assert response.redirect_chain[-1][0] == HISTORY
    assert len(response.context["runs"]) == 1


def test_run_now_of_a_job_that_fails_records_the_failure_and_says_why(operator, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(services, "job_runs_cleanup", broken)

    response = signed_in(operator).post(RUN, follow=True)

    run = JobRun.objects.get(job=JOB)
    assert run.outcome == JobOutcome.FAILED and "the disk is full" in run.error
    assert any("failed: RuntimeError: the disk is full" in text for text in messages_shown(response))


def test_run_now_when_the_queue_cannot_be_reached_says_so_and_records_nothing(operator, monkeypatch):
    def unreachable(**kwargs):
        raise OSError("Connection refused")

    monkeypatch.setattr(services, "job_run_now", unreachable)

    response = signed_in(operator).post(RUN, follow=True)

    assert response.status_code == 200
    assert messages_shown(response) == [f"“{JOB}” could not be queued: is the message broker running?"]
    assert not JobRun.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_with_a_worker_run_now_queues_the_job_and_the_worker_records_the_run(celery_worker):
    # given an operator, and a real worker consuming from the broker
    operator = staff_holding(*EVERYTHING, full_name="Olga Operator")

    # when they run the job now
    response = signed_in(operator).post(RUN, follow=True)

    # then the page says it is queued (or, for a worker that quick, how it went)
    (told,) = messages_shown(response)
    assert f"“{JOB}” is queued" in told or f"“{JOB}” ran now and succeeded" in told

    # and the worker records the run, asked for by them
    deadline = time.monotonic() + 30
    run = None
    while time.monotonic() < deadline:
        run = JobRun.objects.filter(job=JOB).first()
        if run is not None and run.outcome != JobOutcome.RUNNING:
            break
        time.sleep(0.2)
    assert run is not None, "the worker never ran the job"
    assert (run.trigger, run.requested_by_id, run.outcome) == (JobTrigger.MANUAL, operator.pk, JobOutcome.SUCCEEDED)
    assert run.worker and run.task_id


def test_run_now_of_a_job_switched_off_still_runs_it(operator):
    services.system_settings_update(changes={f"jobs.{JOB}.enabled": False}, by=operator)
    signed_in(operator).post(RUN)
    assert JobRun.objects.get(job=JOB).outcome == JobOutcome.SUCCEEDED


@pytest.mark.parametrize("name", ["no-such-job", "x" * 300, "JOB-RUNS-CLEANUP", "0"])
def test_unknown_jobs_are_not_found(operator, name):
    client = signed_in(operator)
    assert client.get(reverse("operations:job_history", args=[name])).status_code == 404
    assert client.post(reverse("operations:job_run", args=[name])).status_code == 404
    assert not JobRun.objects.exists()


@pytest.mark.parametrize("path", ["jobs/%00/", "jobs/..%2f/", "jobs/a%20b/run/", "jobs/%ff%fe/"])
def test_hostile_job_paths_are_not_found(operator, path):
    assert signed_in(operator).get(f"/staff/operations/{path}").status_code in (400, 404)


def test_the_jobs_page_costs_the_same_queries_with_no_runs_and_with_many(operator):
    client = signed_in(operator)
    counts = []
    for _round in range(2):
        client.get(JOBS_PAGE)
        with CaptureQueriesContext(connection) as queries:
            assert client.get(JOBS_PAGE).status_code == 200
        counts.append(len(queries))
        for job in JOBS:
            for minutes in (1, 2, 3):
                ran(job.name, minutes_ago=minutes, outcome=JobOutcome.FAILED, requested_by=operator)
    assert counts[0] == counts[1], counts


# A job's history


def test_the_history_lists_runs_newest_first_with_trigger_worker_error_and_result(operator):
    older = ran(minutes_ago=30, result={"deleted": 12, "abandoned": 0}, worker="celery@worker-1")
    newer = ran(
        minutes_ago=5,
        outcome=JobOutcome.FAILED,
        trigger=JobTrigger.MANUAL,
        requested_by=operator,
        error="RuntimeError: no\n\nTraceback (most recent call last):\n  boom",
    )
    ran("user-roles-expiry", minutes_ago=1)

    response = signed_in(operator).get(HISTORY)

    html = response.content.decode()
    assert [run["pk"] for run in response.context["runs"]] == [newer.pk, older.pk]
    assert "celery@worker-1" in html and "Olga Operator" in html
    assert "Traceback (most recent call last)" in html  # folded away in a <details>
    assert "deleted 12 · abandoned 0" in html and "&quot;deleted&quot;: 12" in html


def test_the_history_filters_by_outcome_and_trigger(operator):
    failed = ran(minutes_ago=3, outcome=JobOutcome.FAILED)
    ran(minutes_ago=2)
    manual = ran(minutes_ago=1, trigger=JobTrigger.MANUAL)
    client = signed_in(operator)
    assert [run["pk"] for run in client.get(HISTORY, {"outcome": "FAILED"}).context["runs"]] == [failed.pk]
    assert [run["pk"] for run in client.get(HISTORY, {"trigger": "MANUAL"}).context["runs"]] == [manual.pk]


def test_the_history_pages_follow_each_other_without_gaps_or_repeats(operator):
    runs = [ran(minutes_ago=minutes) for minutes in range(1, 56)]
    client = signed_in(operator)
    first = client.get(HISTORY)
    second = client.get(HISTORY, {"before": first.context["page"].following})
    shown = [run["pk"] for run in first.context["runs"]] + [run["pk"] for run in second.context["runs"]]
    assert shown == [run.pk for run in runs]


def test_the_history_costs_the_same_queries_for_3_runs_and_for_30(operator):
    client = signed_in(operator)
    counts = []
    for batch in (3, 27):
        for _ in range(batch):
            ran(trigger=JobTrigger.MANUAL, requested_by=staff_holding(), result={"sent": 1})
        client.get(HISTORY)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(HISTORY)
        counts.append(len(queries))
    assert len(response.context["runs"]) == 30
    assert counts[0] == counts[1], counts


@pytest.mark.parametrize(
    "query",
    [
        {"outcome": "STOLEN"},
        {"outcome": "a\x00b"},
        {"trigger": "x" * 5000},
        {"before": "12-34-56"},
        {"after": "9" * 60},
        {"before": "99999999999999999999999-1"},
    ],
)
def test_bad_history_input_gets_a_clear_answer_never_a_server_error(operator, query):
    ran()
    client = signed_in(operator)
    client.raise_request_exception = False
    response = client.get(HISTORY, query)
    assert response.status_code in (200, 400)
    if response.status_code == 200 and not {"before", "after"} & set(query):
        assert response.context["filter"].errors and response.context["runs"] == []


# The system settings


class _FormReader(HTMLParser):
    """The settings form's fields as a browser would send them."""

    def __init__(self):
        super().__init__()
        self.inside = False
        self.data: dict[str, list[str]] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form" and "settings-form" in (attrs.get("class") or ""):
            self.inside = True
        elif tag == "input" and self.inside and attrs.get("name"):
            if attrs.get("type") == "checkbox" and "checked" not in attrs:
                return
            self.data.setdefault(attrs["name"], []).append(attrs.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "form":
            self.inside = False


def form_of(client: Client) -> dict[str, list[str]]:
    reader = _FormReader()
    reader.feed(client.get(SETTINGS_PAGE).content.decode())
    return reader.data


def changed(form: dict[str, list[str]], **values) -> dict[str, list[str]]:
    """``form`` with the settings named by ``values`` changed."""
    data = dict(form)
    for name, value in values.items():
        data[name] = value if isinstance(value, list) else [value]
    return data


def test_a_viewer_reads_every_setting_but_gets_no_form_to_change_them():
    response = signed_in(staff_holding(VIEW_SYSTEM_SETTINGS)).get(SETTINGS_PAGE)
    html = response.content.decode()
    assert response.status_code == 200
    assert "Save changes" not in html and 'name="shown"' not in html and "<input" not in html.split("settings-form")[1]
    sections = [section["title"] for section in response.context["sections"]]
    assert sections == ["Periodic jobs", "System log retention", "Support service levels", "Backups", "Notifications"]
    assert "every 15 minutes" in html  # a schedule in words


def test_the_form_shows_every_setting_grouped_with_its_default(operator):
    response = signed_in(operator).get(SETTINGS_PAGE)
    form = form_of(signed_in(operator))
    assert set(SETTINGS) <= set(form)
    jobs = response.context["sections"][0]
    assert [job["name"] for job in jobs["jobs"]] == [job.name for job in JOBS]
    assert 'Default: <bdi dir="ltr">15m</bdi>' in response.content.decode()


def test_saving_stores_only_what_changed_and_is_audited(operator, require_postgres):  # capture: PostgreSQL's
    # given the page as shown
    client = signed_in(operator)
    form = form_of(client)

    # when the operator switches a job off, changes its schedule and a retention, and saves
    data = changed(
        form, **{f"jobs.{JOB}.enabled": ["off"], f"jobs.{JOB}.schedule": "2h", "logs.retention_days.INFO": "9"}
    )
    response = client.post(SETTINGS_PAGE, data, follow=True)

    # then exactly those are stored, by them, and the page says what changed
    assert response.redirect_chain[-1][0] == SETTINGS_PAGE
    stored = dict(SystemSetting.objects.values_list("key", "value"))
    assert stored == {f"jobs.{JOB}.enabled": False, f"jobs.{JOB}.schedule": "2h", "logs.retention_days.INFO": 9}
    assert set(SystemSetting.objects.values_list("updated_by", flat=True)) == {operator.pk}
    (told,) = messages_shown(response)
    assert f"{JOB} switched off" in told and f"{JOB} runs every 2 hours (2h)" in told and "9" in told
    assert system_setting(f"jobs.{JOB}.enabled") is False  # in force at once

    # and each change is on the audit trail, with who made it
    events = AuditLog.objects.filter(entity_type="operations.systemsetting")
    assert events.count() == 3 and {event.actor_id for event in events} == {operator.pk}

    # and the page shows them changed, by whom, with their history and the job's badge
    html = response.content.decode()
    assert "by Olga Operator" in html and html.count("job-off-badge") == 1
    assert reverse("auditing:entity_history", args=["operations.systemsetting", "1"]).rsplit("/", 2)[0] in html


def test_saving_the_page_unchanged_stores_nothing(operator):
    client = signed_in(operator)
    response = client.post(SETTINGS_PAGE, form_of(client), follow=True)
    assert not SystemSetting.objects.exists()
    assert messages_shown(response) == ["Nothing to save: every value is as it was."]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("logs.retention_days.INFO", "99999999999999999999999"),
        ("logs.retention_days.INFO", "-5"),
        ("logs.retention_days.INFO", "0"),
        ("logs.retention_days.INFO", "ten"),
        ("logs.retention_days.INFO", "1e309"),
        ("logs.retention_days.INFO", "4.5"),
        ("logs.retention_days.INFO", ""),
        ("support.sla.first_response_hours.URGENT", "NaN"),
        ("support.sla.first_response_hours.URGENT", "inf"),
        ("support.sla.first_response_hours.URGENT", "-1"),
        ("support.sla.first_response_hours.URGENT", "0"),
        (f"jobs.{JOB}.schedule", "99 99 * * *"),
        (f"jobs.{JOB}.schedule", "0s"),
        (f"jobs.{JOB}.schedule", "999d"),
        (f"jobs.{JOB}.schedule", "every now and then"),
        (f"jobs.{JOB}.schedule", ""),
        (f"jobs.{JOB}.schedule", "1 2 3 4 5 6"),
        (f"jobs.{JOB}.schedule", "x" * 5000),
        (f"jobs.{JOB}.enabled", "maybe"),
        (f"jobs.{JOB}.enabled", ["on", "off", "on"]),
        ("support.business_hours", "whenever"),
        ("support.time_zone", "Mars/Olympus_Mons"),
        ("support.time_zone", "x" * 600),
        ("notifications.max_attempts", "21"),
        ("backups.retention_days", "١٢٣٤٥٦٧"),
    ],
)
def test_an_absurd_value_is_refused_next_to_its_field_and_nothing_is_saved(operator, key, value):
    # given the page, and another value changed too
    client = signed_in(operator)
    client.raise_request_exception = False
    other = "logs.retention_days.ERROR" if key == "backups.retention_days" else "backups.retention_days"
    data = changed(form_of(client), **{key: value, other: "40"})

    # when it is saved
    response = client.post(SETTINGS_PAGE, data)

    # then nothing at all is stored, and the refusal is shown by the field that caused it
    assert response.status_code == 400
    assert not SystemSetting.objects.exists()
    assert response.context["form"].errors.get(key), response.context["form"].errors
    assert "Nothing was saved" in " ".join(messages_shown(response))
    row_html = response.content.decode().split(f'name="{key}"')[-1]
    assert 'class="errorlist"' in row_html[: 3000 + len(str(value))]


@pytest.mark.parametrize("value", ["a\x00b", "15m\x00"])
def test_nul_bytes_are_refused_whole(operator, value):
    client = signed_in(operator)
    client.raise_request_exception = False
    response = client.post(SETTINGS_PAGE, changed(form_of(client), **{f"jobs.{JOB}.schedule": value}))
    assert response.status_code == 400
    assert not SystemSetting.objects.exists()


def test_a_refused_value_keeps_what_was_typed_and_the_others_as_they_are(operator):
    client = signed_in(operator)
    data = changed(form_of(client), **{f"jobs.{JOB}.schedule": "every now and then", "logs.retention_days.INFO": "9"})
    response = client.post(SETTINGS_PAGE, data)
    html = response.content.decode()
    assert 'value="every now and then"' in html and 'value="9"' in html


def test_a_post_naming_a_setting_that_does_not_exist_saves_nothing(operator):
    client = signed_in(operator)
    data = changed(form_of(client), **{"logs.retention_days.INFO": "9", "jobs.rm-rf.enabled": "on"})
    response = client.post(SETTINGS_PAGE, data)
    assert response.status_code == 400
    assert not SystemSetting.objects.exists()
    assert "no setting named jobs.rm-rf.enabled" in response.content.decode()


@pytest.mark.parametrize("shown", [None, "", "forged", "eyJhIjoxfQ:forged:signature"])
def test_a_post_without_the_pages_own_values_saves_nothing(operator, shown):
    client = signed_in(operator)
    data = changed(form_of(client), **{"logs.retention_days.INFO": "9"})
    if shown is None:
        data.pop("shown")
    else:
        data["shown"] = [shown]
    response = client.post(SETTINGS_PAGE, data)
    assert response.status_code == 400
    assert not SystemSetting.objects.exists()


def test_a_post_with_only_some_fields_changes_only_those_and_leaves_the_switches_alone(operator):
    # a request sending one field only (not from the page): the others are not switched off or cleared
    client = signed_in(operator)
    form = form_of(client)
    response = client.post(SETTINGS_PAGE, {"shown": form["shown"], "logs.retention_days.INFO": "9"})
    assert response.status_code == 302
    assert dict(SystemSetting.objects.values_list("key", "value")) == {"logs.retention_days.INFO": 9}


def test_a_setting_someone_else_changed_meanwhile_is_not_overwritten(operator):
    # given two people with the page open
    mine, theirs = signed_in(operator), staff_holding(*EVERYTHING, full_name="Tom Other")
    form = form_of(mine)
    services.system_settings_update(changes={"logs.retention_days.INFO": 30, f"jobs.{JOB}.schedule": "3h"}, by=theirs)

    # when I save a change of my own to another setting, leaving theirs as my page showed it
    response = mine.post(SETTINGS_PAGE, changed(form, **{"logs.retention_days.ERROR": "40"}))

    # then mine is saved and theirs kept
    assert response.status_code == 302
    assert system_setting("logs.retention_days.ERROR") == 40
    assert system_setting("logs.retention_days.INFO") == 30 and system_setting(f"jobs.{JOB}.schedule") == "3h"

    # and when I change one they changed too, I am told, and nothing is saved
    response = mine.post(
        SETTINGS_PAGE, changed(form, **{"logs.retention_days.INFO": "7", "backups.retention_days": "9"})
    )
    assert response.status_code == 400
    assert "Someone changed this since the page was shown (now: 30)" in response.content.decode()
    assert system_setting("logs.retention_days.INFO") == 30 and system_setting("backups.retention_days") != 9


def test_a_setting_someone_saves_while_my_save_is_on_its_way_is_not_overwritten(operator, monkeypatch):
    # given my page open, and another person whose save commits after my request read the settings but
    # before mine reaches the database
    mine, theirs = signed_in(operator), staff_holding(*EVERYTHING, full_name="Tom Other")
    form = form_of(mine)
    save = services.system_settings_update

    def theirs_first(**kwargs):
        save(changes={"logs.retention_days.INFO": 30}, by=theirs)
        return save(**kwargs)

    monkeypatch.setattr(services, "system_settings_update", theirs_first)

    # when I save a change to the same setting, and one to another
    response = mine.post(
        SETTINGS_PAGE, changed(form, **{"logs.retention_days.INFO": "7", "backups.retention_days": "9"})
    )

    # then I am told, shown their value, and nothing of mine is saved
    assert response.status_code == 400
    html = response.content.decode()
    assert "Someone changed this since the page was shown (now: 30)" in html
    (field,) = re.findall(r'<input[^>]*name="logs\.retention_days\.INFO"[^>]*>', html)
    assert 'value="30"' in field
    assert dict(SystemSetting.objects.values_list("key", "value")) == {"logs.retention_days.INFO": 30}


def test_business_hours_too_short_for_a_target_are_refused_on_the_page(operator):
    # given the page
    client = signed_in(operator)
    client.raise_request_exception = False
    data = changed(
        form_of(client),
        **{"support.business_hours": "mon-fri 09:00-10:00", "support.sla.resolution_hours.LOW": "8760"},
    )

    # when the desk is opened one hour a day and LOW tickets given a year of business hours
    response = client.post(SETTINGS_PAGE, data)

    # then nothing is stored, and both fields say why, keeping what was typed
    assert response.status_code == 400
    assert not SystemSetting.objects.exists()
    errors = response.context["form"].errors
    assert "no LOW ticket could get a deadline" in " ".join(errors["support.sla.resolution_hours.LOW"])
    assert "Too few business hours for these targets" in " ".join(errors["support.business_hours"])
    html = response.content.decode()
    assert 'value="mon-fri 09:00-10:00"' in html and "Nothing was saved" in html


def test_the_settings_page_costs_the_same_queries_with_no_changes_and_with_many(operator):
    client = signed_in(operator)
    counts = []
    for _round in range(2):
        client.get(SETTINGS_PAGE)
        with CaptureQueriesContext(connection) as queries:
            client.get(SETTINGS_PAGE)
        counts.append(len(queries))
        services.system_settings_update(
            changes={f"jobs.{job.name}.enabled": False for job in JOBS}, by=staff_holding(CHANGE_SYSTEM_SETTINGS)
        )
    assert counts[0] == counts[1], counts
