"""Fixtures shared by every app's tests: services, the browser, and common users.

Tests that need a real service (PostgreSQL, Redis, a Celery worker, Chromium) skip with a reason when
it is absent. With ``REQUIRE_SERVICES=1`` (set by ``.ci/run``) every skip becomes a failure, so CI can
never go green by silently not testing something.

Which services to use comes from the test settings (``config/settings/test.py`` and ``base.py``), read
through ``django.conf.settings`` when a test needs them: nothing here reads the environment itself.
"""

import os
import shutil

import pytest
from django.conf import settings
from django.db import connection

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if settings.REQUIRE_SERVICES and report.skipped and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        reason = report.longrepr[-1] if isinstance(report.longrepr, tuple) else report.longrepr
        report.longrepr = f"skipped under REQUIRE_SERVICES=1, which forbids skips: {reason}"


def service_missing(reason: str):
    """Skip the test (or fail it in CI, through the hook above) because a service is absent."""
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _empty_cache():
    """Each test starts with an empty cache: rolled-back rows may reuse ids that cached data still names."""
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture(autouse=True)
def _default_language_after_each_test():
    """A request in Arabic leaves Arabic active in its thread (LocaleMiddleware activates, nothing resets):
    the next test starts in the default language whatever the last one asked for."""
    from django.utils import translation

    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _audit_anchor_location(settings, tmp_path):
    """Each test keeps the audit anchor in a folder of its own: seals written by a rolled-back test
    must not leave an anchor behind that names seals the next test's database never had."""
    settings.STORAGES = {
        **settings.STORAGES,
        "audit_anchor": {
            **settings.STORAGES["audit_anchor"],
            "OPTIONS": {
                "location": str(tmp_path / "audit-anchor"),
                "allow_overwrite": True,
            },
        },
    }


@pytest.fixture
def require_postgres(db):
    if connection.vendor != "postgresql":
        service_missing("needs PostgreSQL: set DATABASE_URL=postgres://...")


@pytest.fixture(scope="session")
def redis_url():
    url = settings.REDIS_URL
    if not url:
        service_missing("needs Redis: set REDIS_URL=redis://...")
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as exc:
        service_missing(f"Redis at {url} is unreachable: {exc}")
    return url


@pytest.fixture(scope="session")
def browser():
    """A headless Debian Chromium driven by Playwright (never a downloaded browser)."""
    chromium_path = settings.CHROMIUM_PATH
    if not shutil.which(chromium_path):
        service_missing(f"needs Chromium at {chromium_path}: apt-get install chromium")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        service_missing("needs the playwright package: pip install -r requirements-dev.txt")
    # Playwright's sync API runs an event loop in this thread; the live server's database work is
    # still synchronous and happens in other threads, so Django's async-safety guard does not apply.
    # A write, not a read: Django's guard (django.utils.asyncio.async_unsafe) consults this variable in
    # os.environ itself, at every guarded call, so no setting can stand in for it.
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def screenshot_dir():
    """Where browser tests leave screenshots for people to look at (``artifacts/screenshots``)."""
    from pathlib import Path

    path = Path(__file__).parent / "artifacts" / "screenshots"
    path.mkdir(parents=True, exist_ok=True)
    return path


@pytest.fixture
def staff_password():
    return "correct-horse-battery-staple"


@pytest.fixture
def superuser(db, staff_password):
    from accounts.tests.factories import UserFactory

    return UserFactory(is_staff=True, is_superuser=True, password=staff_password, email="boss@example.com")


@pytest.fixture
def admin_client(client, superuser):
    """A client signed in as a superuser, without the sign-in's own audit event in the test's data."""
    from django.contrib.auth.signals import user_logged_in

    from accounts.audit_events import record_login

    user_logged_in.disconnect(record_login, dispatch_uid="audit_login")
    try:
        client.force_login(superuser)
    finally:
        user_logged_in.connect(record_login, dispatch_uid="audit_login")
    return client


@pytest.fixture
def celery_worker(redis_url, settings):
    """A real Celery worker (in a thread of this process) consuming from the Redis broker."""
    broker_url = settings.CELERY_BROKER_URL
    if not broker_url:
        service_missing("needs a Celery broker: set CELERY_BROKER_URL=redis://...")
    from celery.contrib.testing.worker import start_worker

    from config.celery import app

    previous = {key: app.conf[key] for key in ("broker_url", "result_backend", "task_always_eager")}
    app.conf.update(broker_url=broker_url, result_backend=broker_url, task_always_eager=False)
    try:
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10) as worker:
            yield worker
    finally:
        app.conf.update(previous)


@pytest.fixture(autouse=True)
def _audit_trail_emptied_after_transactional_tests(request, django_db_blocker):
    """A transactional test commits its audit rows, and ``flush`` keeps the trail (it is append-only): empty
    it afterwards, as the tables' owner would, so the next test starts from a trail as fresh as its data."""
    yield
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(marker and marker.kwargs.get("transaction")) or bool(
        {"transactional_db", "live_server", "celery_worker"} & set(request.fixturenames)
    )
    if transactional:
        from auditing.tests.trail import audit_trail_empty

        with django_db_blocker.unblock():
            audit_trail_empty()
