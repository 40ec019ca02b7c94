"""In a real browser: an operator runs a job now from the jobs page and finds the run there and in its
history; switches a job off on the settings page and sees it marked off; and every operations page fits
the screen, in English and in Arabic, with no serious accessibility finding. Screenshots go to
artifacts/screenshots/operations/."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.rbac_catalog import CHANGE_SYSTEM_SETTINGS, RUN_JOB, VIEW_AUDIT_LOG, VIEW_JOB_RUNS, VIEW_SYSTEM_SETTINGS
from accounts.tests.factories import staff_holding
from core.tests.browser import page_fit_problems, sign_in
from operations.models import JobOutcome, JobRun, JobTrigger

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

JOB = "job-runs-cleanup"


@pytest.fixture
def operator():
    return staff_holding(
        VIEW_JOB_RUNS, RUN_JOB, VIEW_SYSTEM_SETTINGS, CHANGE_SYSTEM_SETTINGS, VIEW_AUDIT_LOG,
        full_name="Olga Operator", email="olga@example.com",
    )  # fmt: skip


@pytest.fixture
def history(require_postgres, operator):
    """A few days of runs: successes with what they did, a failure with its traceback, a skipped run."""
    now = timezone.now()

    def ran(job, minutes_ago, outcome=JobOutcome.SUCCEEDED, **fields):
        started = now - timedelta(minutes=minutes_ago)
        fields.setdefault("duration_ms", 840)
        JobRun.objects.create(
            job=job,
            outcome=outcome,
            started_at=started,
            finished_at=started + timedelta(milliseconds=fields["duration_ms"]),
            worker="celery@ops-worker-1",
            **fields,
        )

    for minutes in range(2, 60 * 6, 15):
        ran("user-roles-expiry", minutes, result={"warned": 2, "lapsed": 0})
    ran("notifications-deliver", 1, result={"sent": 40, "failed": 1, "by_channel": {"EMAIL": 30, "SMS": 11}})
    ran(
        "system-logs-cleanup",
        60 * 10,
        JobOutcome.FAILED,
        duration_ms=12_400,
        error="OperationalError: canceling statement due to statement timeout\n\nTraceback (most recent call last):\n"
        '  File "auditing/services.py", line 120, in system_logs_cleanup\n    deleted = rows.delete()\n'
        "django.db.utils.OperationalError: canceling statement due to statement timeout",
    )
    ran("system-logs-cleanup", 60 * 34, result={"deleted": {"INFO": 1204, "WARNING": 33}})
    ran("backups-stuck-repair", 4, JobOutcome.SKIPPED, duration_ms=3, result={"skipped": "already running"})
    ran(JOB, 60 * 20, trigger=JobTrigger.MANUAL, requested_by=operator, result={"deleted": 310, "abandoned": 0})


def test_the_jobs_page_shows_a_run(page, live_server, history, operator, screenshot_dir):
    shots = screenshot_dir / "operations"
    shots.mkdir(exist_ok=True)

    # given an operator on the jobs page
    sign_in(page, live_server, operator.email, next_url="/staff/operations/jobs/")
    page.wait_for_selector("table.jobs-table")
    assert page.locator("tr.job-row").count() >= 13
    page.screenshot(path=shots / "jobs.png", full_page=True)

    # when they run a job now
    row = page.locator(f"tr.job-row[data-job='{JOB}']")
    row.locator("button:has-text('Run now')").click()

    # then the page says how it went, and the job's row shows the run, by them
    page.wait_for_selector(f"text=“{JOB}” ran now and succeeded")
    row = page.locator(f"tr.job-row[data-job='{JOB}']")
    assert "Succeeded" in row.locator(".job-last").inner_text()
    assert "run now by Olga Operator" in row.locator(".job-last").inner_text()

    # and its history lists the run first, started by hand, with what it did
    row.locator(f"a:has-text('{JOB}')").click()
    page.wait_for_selector("table.runs-table")
    first = page.locator("tr.run-row").first
    assert "Succeeded" in first.inner_text() and "Run now" in first.inner_text()
    assert "Olga Operator" in first.inner_text()
    assert page.locator("tr.run-row").count() == 2
    page.screenshot(path=shots / "job-history.png", full_page=True)
    run = JobRun.objects.filter(job=JOB).latest("started_at")
    assert (run.trigger, run.requested_by_id, run.outcome) == (JobTrigger.MANUAL, operator.pk, JobOutcome.SUCCEEDED)

    # and a failed run's traceback opens from its history
    page.goto(f"{live_server.url}/staff/operations/jobs/system-logs-cleanup/")
    page.locator("tr.run-row details summary.run-error").first.click()
    assert page.locator("tr.run-row pre.traceback").first.is_visible()
    page.screenshot(path=shots / "job-history-failed.png", full_page=True)


def test_switching_a_job_off_on_the_settings_page_marks_it_off(page, live_server, history, operator, screenshot_dir):
    shots = screenshot_dir / "operations"
    shots.mkdir(exist_ok=True)

    # given the settings page
    sign_in(page, live_server, operator.email, next_url="/staff/operations/settings/")
    page.wait_for_selector("form.settings-form")
    page.screenshot(path=shots / "settings.png", full_page=True)

    # when the operator switches a job off, gives another a new schedule and saves
    page.uncheck(f"#setting-jobs-{JOB}-enabled")
    page.fill("#setting-jobs-user-roles-expiry-schedule", "30m")
    page.click("button:has-text('Save changes')")

    # then the page says what changed, and the job is marked off and changed by them
    page.wait_for_selector(f"text={JOB} switched off")
    assert "user-roles-expiry runs every 30 minutes (30m)" in page.locator("ul.messagelist").inner_text()
    job_row = page.locator(f"tr#job-{JOB}")
    assert job_row.locator(".job-off-badge").is_visible()
    assert "by Olga Operator" in job_row.inner_text()

    # and a value refused is shown by its field, with nothing saved
    page.fill("#setting-logs-retention_days-info", "-3")
    page.fill("#setting-jobs-user-roles-expiry-schedule", "61 * * * *")
    page.click("button:has-text('Save changes')")
    page.wait_for_selector("text=Nothing was saved")
    assert page.locator(".setting-row.has-error").count() == 1
    assert page.locator("#setting-jobs-user-roles-expiry-schedule-errors").is_visible()
    page.screenshot(path=shots / "settings-refused.png", full_page=True)

    # and the jobs page shows the job switched off
    page.goto(f"{live_server.url}/staff/operations/jobs/")
    row = page.locator(f"tr.job-row[data-job='{JOB}']")
    assert row.locator(".job-off-badge").is_visible()
    assert "Switched off" in row.locator(".job-next").inner_text()
    assert "every 30 minutes" in page.locator("tr.job-row[data-job='user-roles-expiry'] .job-schedule").inner_text()


@pytest.mark.parametrize(
    ("language", "scheme", "width"),
    [("en", "light", 1440), ("ar", "light", 1440), ("ar", "dark", 390), ("en", "dark", 390)],
)
def test_every_operations_page_fits_the_screen_and_has_no_serious_accessibility_finding(
    browser, live_server, history, operator, screenshot_dir, language, scheme, width
):
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=scheme)
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    urls = {
        "jobs": "/staff/operations/jobs/",
        "job-history": "/staff/operations/jobs/system-logs-cleanup/",
        "settings": "/staff/operations/settings/",
    }
    shots = screenshot_dir / "operations"
    shots.mkdir(exist_ok=True)
    problems = []
    try:
        sign_in(page, live_server, operator.email)
        page.wait_for_selector("h1")
        for name, url in urls.items():
            problems += page_fit_problems(page, live_server.url + url, language=language, width=width)
            page.screenshot(path=shots / f"{name}--{language}-{scheme}-{width}.png", full_page=True)
    finally:
        context.close()
    assert problems == [], "\n".join(problems)


def test_a_viewer_reads_the_settings_without_a_form(browser, live_server, history, screenshot_dir):
    viewer = staff_holding(VIEW_JOB_RUNS, VIEW_SYSTEM_SETTINGS, full_name="Vera Viewer", email="vera@example.com")
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    page = context.new_page()
    try:
        sign_in(page, live_server, viewer.email, next_url="/staff/operations/settings/")
        page.wait_for_selector("form.settings-form")
        assert page.locator(".ops-readonly").is_visible()
        assert page.locator("form.settings-form input, form.settings-form button").count() == 0
        page.screenshot(path=screenshot_dir / "operations" / "settings-read-only.png", full_page=True)
        page.goto(f"{live_server.url}/staff/operations/jobs/")
        assert page.locator("button:has-text('Run now')").count() == 0
    finally:
        context.close()
