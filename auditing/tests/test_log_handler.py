"""WARNING-and-worse records land in SystemLog with their request context, and logging never breaks; what
anonymous visitors can send without limit (404s, paused sign-ins) does not fill it."""

import logging

import pytest
from django.db import connection

from auditing.log_handler import SystemLogHandler
from auditing.models import SystemLog
from core.request_context import RequestContext, bind

pytestmark = pytest.mark.django_db(transaction=True)  # the writer thread has its own connection


def enabled_logger(name: str) -> logging.Logger:
    """The named logger, enabled: a logging setup run earlier in the session (``dictConfig`` with
    ``disable_existing_loggers``, as a library's own setup may do) switches off loggers that existed then."""
    logger = logging.getLogger(name)
    logger.disabled = False
    logger.setLevel(logging.WARNING)  # whatever level an earlier setup left on its parents
    logging.disable(logging.NOTSET)  # and nothing switched logging off for the whole process
    return logger


@pytest.fixture
def handler():
    handler = SystemLogHandler(level=logging.WARNING, flush_interval=0.05)
    logger = enabled_logger("billing.services")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def test_warnings_are_stored_with_the_request_context_and_traceback(handler):
    # given a request in progress
    with bind(RequestContext(ip_address="198.51.100.7", user_agent="Firefox/140", request_id="req-42")):
        try:
            raise ZeroDivisionError("fee split")
        except ZeroDivisionError:
            logging.getLogger("billing.services").exception("Refund failed for payment %s", 17)
        logging.getLogger("billing.services").info("routine detail, below the threshold")
    handler.flush()
    # then one row, with everything an investigator needs
    row = SystemLog.objects.get()
    assert (row.level, row.logger, row.message) == ("ERROR", "billing.services", "Refund failed for payment 17")
    assert "ZeroDivisionError: fee split" in row.traceback
    assert (row.ip_address, row.user_agent, row.request_id) == ("198.51.100.7", "Firefox/140", "req-42")


def test_a_burst_is_written_in_batches(handler):
    for index in range(500):
        enabled_logger("billing.services").warning("burst %s", index)
    handler.flush()
    assert SystemLog.objects.count() == 500


def test_database_loggers_are_never_stored_so_nothing_recurses(handler):
    database_logger = logging.getLogger("django.db.backends")
    database_logger.addHandler(handler)
    try:
        database_logger.warning("slow query")
        handler.flush()
    finally:
        database_logger.removeHandler(handler)
    assert not SystemLog.objects.exists()


def test_an_unavailable_database_falls_back_to_stderr_and_the_handler_recovers(handler, capfd, monkeypatch):
    from django.db.models.query import QuerySet

    def database_down(self, *args, **kwargs):
        raise ConnectionError("database restarting")

    # given the database refuses writes
    with monkeypatch.context() as patched:
        patched.setattr(QuerySet, "bulk_create", database_down)
        logging.getLogger("billing.services").error("while the database is down")  # does not raise
        handler.flush()
    # then the record is on stderr
    assert "while the database is down" in capfd.readouterr().err
    # and once the database is back, records are stored again
    logging.getLogger("billing.services").error("after recovery")
    handler.flush()
    assert list(SystemLog.objects.values_list("message", flat=True)) == ["after recovery"]
    assert connection.vendor  # the test's own connection is untouched


@pytest.fixture
def root_handler():
    """The handler where production attaches it: on the root logger, seeing every logger's records."""
    handler = SystemLogHandler(level=logging.WARNING, flush_interval=0.05)
    logging.getLogger().addHandler(handler)
    yield handler
    logging.getLogger().removeHandler(handler)


def test_missing_pages_asked_for_by_visitors_who_are_not_signed_in_are_not_stored(client, root_handler):
    # given a scanner probing for pages that do not exist, without signing in
    for index in range(20):
        assert client.get(f"/wp-admin/setup-config-{index}.php").status_code == 404
    root_handler.flush()
    # then the system log stays empty
    assert not SystemLog.objects.exists()


def test_a_signed_in_users_missing_page_is_stored(admin_client, root_handler):
    # given a signed-in user following a link to a page that does not exist
    assert admin_client.get("/staff/no-such-report/").status_code == 404
    root_handler.flush()
    # then it is stored: it may be a broken link of ours
    assert list(SystemLog.objects.values_list("level", "logger", "message")) == [
        ("WARNING", "django.request", "Not Found: /staff/no-such-report/")
    ]


def test_a_password_guessing_run_writes_nothing_to_the_system_log(client, root_handler, settings):
    # given someone guessing passwords well past the limit (the pause answers 429)
    for _ in range(settings.AXES_FAILURE_LIMIT + 10):
        client.post("/admin/login/", {"username": "boss@example.com", "password": "guess"})
    root_handler.flush()
    # then the system log stays empty: the failures are in the audit trail, once per burst
    assert not SystemLog.objects.exists()


def test_a_full_queue_drops_records_instead_of_blocking(monkeypatch):
    handler = SystemLogHandler(capacity=1)
    monkeypatch.setattr(handler, "_ensure_worker", lambda: None)  # no writer: the queue stays full
    logger = enabled_logger("support.services")
    logger.addHandler(handler)
    try:
        for _ in range(5):
            logger.warning("flood")
    finally:
        logger.removeHandler(handler)
    assert handler.dropped == 4
