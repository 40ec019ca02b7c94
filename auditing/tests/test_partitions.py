"""The trail's monthly partitions: created ahead, guarded like the trail, and read only where a filter needs."""

from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from auditing.filters import AuditLogFilter
from auditing.models import AuditAction, AuditLog
from auditing.partitions import MONTHS_AHEAD, audit_partitions, audit_partitions_ensure
from auditing.services import audit_record
from auditing.tasks import audit_partitions_ensure_task

pytestmark = pytest.mark.usefixtures("require_postgres")


def month_name(moment: datetime) -> str:
    return f"auditing_auditlog_p{moment:%Y_%m}"


def months_from_now(months: int) -> datetime:
    today = timezone.now().date().replace(day=1)
    year, month = divmod(today.month - 1 + months, 12)
    return datetime(today.year + year, month + 1, 1, tzinfo=UTC)


def test_partitions_exist_from_this_month_to_three_months_ahead():
    names = audit_partitions()
    for ahead in range(MONTHS_AHEAD + 1):
        assert month_name(months_from_now(ahead)) in names
    assert "auditing_auditlog_default" in names


def test_the_job_creates_missing_months_ahead_and_is_idempotent():
    assert audit_partitions_ensure_task() == 0  # the migration made them already

    created = audit_partitions_ensure(months_ahead=MONTHS_AHEAD + 2)

    assert created == 2 and month_name(months_from_now(MONTHS_AHEAD + 2)) in audit_partitions()
    assert audit_partitions_ensure(months_ahead=MONTHS_AHEAD + 2) == 0


def test_a_new_partition_is_guarded_like_the_trail():
    audit_partitions_ensure(months_ahead=MONTHS_AHEAD + 1)
    partition = month_name(months_from_now(MONTHS_AHEAD + 1))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT t.tgname, t.tgenabled FROM pg_trigger t WHERE t.tgrelid = %s::regclass AND NOT t.tgisinternal",
            [partition],
        )
        triggers = dict(cursor.fetchall())
    assert triggers == {
        "auditing_auditlog_stamp": "A",
        "auditing_auditlog_append_only": "A",
        "auditing_auditlog_no_truncate": "A",
    }


def test_a_row_dated_outside_every_month_lands_in_the_default_partition_and_is_kept():
    # given a row dated beyond the months created ahead (a clock far off)
    far = months_from_now(MONTHS_AHEAD + 2) + timedelta(days=1)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO auditing_auditlog (action, actor_label, entity_type, entity_id, changes, user_agent, "
            "request_id, created_at) VALUES ('LOGIN', '', 'accounts.user', '1', '{}', '', '', %s) "
            "RETURNING tableoid::regclass::text",
            [far],
        )
        assert cursor.fetchone()[0] == "auditing_auditlog_default"

    # when the job reaches that month, it leaves it to the default partition and creates the others
    assert audit_partitions_ensure(months_ahead=MONTHS_AHEAD + 3) == 2
    names = audit_partitions()
    assert month_name(far) not in names
    assert {month_name(months_from_now(MONTHS_AHEAD + 1)), month_name(months_from_now(MONTHS_AHEAD + 3))} <= set(names)


def plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(line for (line,) in cursor.fetchall())


def test_a_date_bounded_page_reads_only_its_months_and_uses_the_indexes():
    audit_record(action=AuditAction.LOGIN, entity_type="accounts.user", entity_id="1")
    today = timezone.localdate()
    filterset = AuditLogFilter(
        {"date_from": (today - timedelta(days=3)).isoformat(), "date_to": today.isoformat()},
        queryset=AuditLog.objects.all(),
    )
    assert filterset.is_valid(), filterset.errors
    page = filterset.qs.order_by("-created_at", "-id")[:51]

    explained = plan(page)

    assert month_name(months_from_now(MONTHS_AHEAD)) not in explained  # pruned
    assert "auditing_auditlog_default" not in explained
    assert "Seq Scan" not in explained, explained


@pytest.mark.parametrize(
    "params",
    [
        {"action": "PAYMENT"},
        {"entity_type": "consultants.booking", "entity_id": "42"},
        {"ip_address": "198.51.100.7"},
    ],
)
def test_each_filter_of_the_viewer_still_uses_an_index(params):
    filterset = AuditLogFilter(params, queryset=AuditLog.objects.all())
    assert filterset.is_valid(), filterset.errors
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # an empty test table would rather scan: ask for the plan
    explained = plan(filterset.qs.order_by("-created_at", "-id")[:51])
    assert "Seq Scan" not in explained, explained


@pytest.mark.django_db(transaction=True)
def test_flush_empties_the_other_tables_and_keeps_the_trail():
    from accounts.tests.factories import RoleFactory

    RoleFactory(name="FLUSHED")
    kept = AuditLog.objects.count()

    call_command("flush", interactive=False, verbosity=0)

    assert AuditLog.objects.count() == kept > 0
    from accounts.models import Role

    assert not Role.objects.exists()
