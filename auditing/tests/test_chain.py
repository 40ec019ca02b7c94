"""Sealing and verification: tampering is named at the right row once sealed, and so is what the table's
owner could do (cut the tail, TRUNCATE, recompute hashes, forge rows or seals, switch a trigger off)."""

from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.test import override_settings
from django.utils import timezone

from accounts.tests.factories import RoleFactory
from auditing.anchor import anchor_read
from auditing.chain import audit_chain_last_verdict, audit_chain_verify
from auditing.models import AuditAction, AuditLog, AuditSeal, AuditVerification
from auditing.sealing import audit_rows_seal, audit_seal_status, seal_mac_valid
from auditing.services import audit_record
from auditing.tests.trail import as_owner, audit_trail_empty

pytestmark = pytest.mark.usefixtures("require_postgres")


@pytest.fixture
def trail():
    """Ten audit rows (five captured creates, five recorded events), sealed; their ids in order."""
    first = AuditLog.objects.order_by("-id").values_list("id", flat=True).first() or 0
    for n in range(5):
        role = RoleFactory(name=f"CHAIN_{n}")
        audit_record(action=AuditAction.LOGIN, entity=role)
    audit_rows_seal()
    return list(AuditLog.objects.filter(id__gt=first).order_by("id").values_list("id", flat=True))


RECOMPUTE_HASH = (
    "UPDATE auditing_auditlog a SET row_hash = auditing_row_hash(auditing_auditlog_content(a)) WHERE id = %s"
)


def broken(full=False):
    verdict = audit_chain_verify(full=full)
    assert not verdict.ok, verdict
    return verdict


# An untouched trail


def test_an_untouched_trail_verifies_and_reports_its_sealed_head(trail, capsys):
    call_command("verify_audit_chain", "--full")

    seal = AuditSeal.objects.latest("id")
    out = capsys.readouterr().out
    assert out.startswith("OK: ")
    assert f"sealed head #{seal.last_id} (seal #{seal.pk} at " in out and seal.mac in out
    assert "0 rows waiting for a seal (lag 0s)" in out
    verdict = audit_chain_last_verdict()
    assert verdict is not None and verdict.ok and verdict.head_id == seal.last_id >= trail[-1]


def test_every_row_is_covered_by_exactly_one_seal_without_gaps(trail):
    seals = list(AuditSeal.objects.order_by("id").values_list("first_id", "last_id", "row_count"))
    assert seals[0][0] == 0
    assert all(seals[i][1] == seals[i + 1][0] for i in range(len(seals) - 1))
    assert sum(count for _, _, count in seals) == AuditLog.objects.filter(id__lte=seals[-1][1]).count()
    assert all(seal_mac_valid(seal) for seal in AuditSeal.objects.all())


def test_verification_is_incremental_and_full_walks_everything(trail):
    audit_chain_verify(full=True)
    audit_record(action=AuditAction.LOGIN, entity_type="accounts.role", entity_id="1")

    incremental = audit_chain_verify()
    full = audit_chain_verify(full=True)

    assert incremental.ok and not incremental.full and (incremental.rows, incremental.seals) == (1, 1)
    assert full.ok and full.full and full.rows == AuditLog.objects.count()
    assert AuditVerification.objects.filter(ok=True).count() == 3


# Tampering, caught at the right row once sealed


def test_an_edited_row_is_named(trail):
    as_owner("UPDATE auditing_auditlog SET actor_label = 'someone else' WHERE id = %s", params=[trail[3]])

    with pytest.raises(CommandError, match=f"BROKEN: audit row #{trail[3]} was edited"):
        call_command("verify_audit_chain")
    verdict = audit_chain_last_verdict()
    assert verdict is not None and verdict.broken_id == trail[3]


def test_an_edit_with_a_recomputed_content_hash_is_named(trail):
    as_owner(
        "UPDATE auditing_auditlog SET actor_label = 'someone else' WHERE id = %s", RECOMPUTE_HASH, params=[trail[3]]
    )

    verdict = broken()
    assert verdict.broken_id == trail[3] and "edited or moved after it was sealed" in verdict.problem


def test_a_deleted_row_is_named(trail):
    as_owner("DELETE FROM auditing_auditlog WHERE id = %s", params=[trail[6]])

    verdict = broken()
    assert verdict.broken_id == trail[6] and "deleted" in verdict.problem


@pytest.mark.parametrize("with_hash", [False, True], ids=["without hash", "with a correct hash"])
def test_a_row_forged_into_sealed_history_is_named(trail, with_hash):
    # An id between two sealed rows (ids have gaps), content of the forger's choosing.
    forged_id = trail[4] + 1 if trail[5] > trail[4] + 1 else trail[-1] + 1
    assert AuditSeal.objects.latest("id").last_id >= forged_id
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO auditing_auditlog (id, action, actor_id, actor_label, entity_type, entity_id, changes, "
            "user_agent, request_id, created_at, row_hash) VALUES (%s, 'LOGIN', 1, 'boss@example.com', "
            "'accounts.user', '1', '{}', '', '', now(), 'forged')",
            [forged_id],
        )
    if with_hash:
        as_owner(RECOMPUTE_HASH, params=[forged_id])

    verdict = broken()
    assert verdict.broken_id == forged_id
    assert ("inserted after its rows were sealed" if with_hash else "was edited") in verdict.problem


def test_swapped_rows_are_named_at_the_first_of_them(trail):
    columns = "action, actor_id, actor_label, entity_type, entity_id, changes, row_hash"
    as_owner(
        f"UPDATE auditing_auditlog a SET ({columns}) = (SELECT {columns} FROM auditing_auditlog b "  # noqa: S608
        "WHERE b.id = CASE a.id WHEN %s THEN %s ELSE %s END) WHERE a.id IN (%s, %s)",
        params=[trail[2], trail[5], trail[2], trail[2], trail[5]],
    )

    assert broken().broken_id == trail[2]


# What the owner of the tables could do


def test_the_newest_rows_cut_off_with_their_seals_are_caught_by_the_anchor(trail):
    cut = AuditSeal.objects.latest("id")
    anchor = anchor_read()
    assert anchor is not None and anchor.seal_id == cut.pk
    as_owner(
        f"DELETE FROM auditing_auditlog WHERE id > {cut.first_id}",  # noqa: S608
        f"DELETE FROM auditing_auditseal WHERE id >= {cut.pk}",  # noqa: S608
    )

    verdict = broken(full=True)
    assert f"names seal #{cut.pk}" in verdict.problem and "cut off" in verdict.problem


def test_truncate_is_refused_on_the_trail_its_partitions_and_the_seals(trail):
    partition = f"auditing_auditlog_p{timezone.now():%Y_%m}"
    for table in ("auditing_auditlog", partition, "auditing_auditseal"):
        with pytest.raises(Exception, match="append-only: TRUNCATE is not allowed"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(f"TRUNCATE {table} CASCADE")
    assert AuditLog.objects.filter(id__in=trail).count() == len(trail)


def test_emptied_tables_are_caught_by_the_anchor(trail):
    # The owner switches every TRUNCATE guard off, empties trail and seals, and switches the guards back on.
    audit_trail_empty()

    verdict = broken(full=True)
    assert "which the database no longer holds" in verdict.problem


def test_hashes_recomputed_over_the_whole_trail_are_caught(trail):
    as_owner(
        f"UPDATE auditing_auditlog SET actor_label = 'rewritten' WHERE id >= {trail[1]}",  # noqa: S608
        f"UPDATE auditing_auditlog a SET row_hash = auditing_row_hash(auditing_auditlog_content(a)) "  # noqa: S608
        f"WHERE id >= {trail[1]}",
    )

    assert broken(full=True).broken_id == trail[1]


def test_a_forged_seal_is_caught(trail):
    last = AuditSeal.objects.latest("id")
    audit_record(action=AuditAction.LOGIN, entity_type="accounts.user", entity_id="1")
    forged_row = AuditLog.objects.latest("id")
    # Everything a seal holds, computed as the sealer would, except the key the database never sees.
    AuditSeal.objects.create(
        first_id=last.last_id,
        last_id=forged_row.pk,
        row_count=1,
        digest="0" * 64,
        row_index=b"",
        previous_mac=last.mac,
        mac="f" * 64,
        key_id=last.key_id,
        sealed_at=timezone.now(),
    )

    verdict = broken()
    assert "was forged or altered" in verdict.problem


@pytest.mark.parametrize(
    "table, trigger",
    [
        ("billing_payment", "auditing_capture_update"),
        ("auditing_auditlog", "auditing_auditlog_append_only"),
        ("auditing_auditlog", "auditing_auditlog_stamp"),
        ("auditing_auditseal", "auditing_auditseal_append_only"),
    ],
)
def test_a_disabled_trigger_is_caught(trail, table, trigger):
    with connection.cursor() as cursor:
        cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")

    with pytest.raises(CommandError, match=f"{table}.{trigger}"):
        call_command("verify_audit_chain")


def test_a_key_rotation_keeps_older_seals_verifiable_and_an_unknown_key_is_reported(trail, settings):
    old_keys = settings.AUDIT_SEAL_KEYS
    settings.AUDIT_SEAL_KEYS = {"test-2027-01": "n" * 40, **old_keys}
    audit_record(action=AuditAction.LOGIN, entity_type="accounts.user", entity_id="1")
    audit_rows_seal()
    assert AuditSeal.objects.latest("id").key_id == "test-2027-01"
    assert audit_chain_verify(full=True).ok

    settings.AUDIT_SEAL_KEYS = {"test-2027-01": "n" * 40}
    verdict = broken(full=True)
    assert "no audit seal key with id 'test-2026-11'" in verdict.problem


# Capture cannot be paused by the application's role


@pytest.fixture
def application_role():
    """A role like production's application role: reads and writes every table, owns none."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_roles WHERE rolname = 'backoffice_app_test'")
        if cursor.fetchone() is None:
            cursor.execute("CREATE ROLE backoffice_app_test NOLOGIN")
        cursor.execute("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO backoffice_app_test")
        cursor.execute("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO backoffice_app_test")
    return "backoffice_app_test"


def test_the_application_role_cannot_pause_capture(trail, application_role):
    role = RoleFactory(name="PAUSED")
    with pytest.raises(Exception, match="only the owner of the audit tables can pause audit capture"):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL ROLE {application_role}")
            cursor.execute("SET LOCAL auditing.capture = 'paused'")
            cursor.execute("UPDATE accounts_role SET description = 'unaudited' WHERE id = %s", [role.pk])
    role.refresh_from_db()
    assert role.description != "unaudited"


def test_the_application_role_writes_and_is_captured(trail, application_role):
    role = RoleFactory(name="AS_APP")
    with connection.cursor() as cursor:
        # For the rest of the test's transaction: the application's role writes, seals and verifies.
        cursor.execute(f"SET LOCAL ROLE {application_role}")
        cursor.execute("UPDATE accounts_role SET description = 'by the app' WHERE id = %s", [role.pk])
    assert AuditLog.objects.filter(entity_type="accounts.role", entity_id=str(role.pk), action="UPDATE").exists()
    assert audit_chain_verify().ok


# Sealing lag


def test_the_sealing_lag_is_reported_and_alerts_admins_once(trail, caplog, settings):
    from accounts.models import Notification
    from accounts.tests.factories import UserFactory
    from auditing.alerts import seal_lag_alert

    admin = UserFactory(is_staff=True, is_superuser=True)
    audit_rows_seal()
    settings.AUDIT_SEAL_LAG_ALERT_SECONDS = 60
    # A row written ten minutes ago by a transaction that stayed open until now, not sealed yet.
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO auditing_auditlog (action, actor_label, entity_type, entity_id, changes, user_agent, "
            "request_id, created_at) VALUES ('LOGIN', '', 'accounts.user', '1', '{}', '', '', %s)",
            [timezone.now() - timedelta(minutes=10)],
        )

    status = audit_seal_status()
    assert status is not None
    assert status.unsealed_rows == 1 and status.lag_seconds >= 600
    assert seal_lag_alert(status) and seal_lag_alert(status)

    assert [r.levelname for r in caplog.records if r.name == "auditing.alerts"] == ["ERROR", "ERROR"]
    notified = Notification.objects.filter(title="Audit sealing is falling behind")
    assert list(notified.values_list("user", flat=True)) == [admin.pk]  # once an hour, however often seen
    audit_rows_seal()
    assert not seal_lag_alert(audit_seal_status())


@override_settings(AUDIT_SEAL_LAG_ALERT_SECONDS=3600)
def test_a_normal_lag_does_not_alert(trail, caplog):
    from auditing.alerts import seal_lag_alert

    audit_record(action=AuditAction.LOGIN, entity_type="accounts.user", entity_id="1")
    assert not seal_lag_alert(audit_seal_status())
    assert not [r for r in caplog.records if r.name == "auditing.alerts"]


# The periodic jobs


def test_the_sealing_job_runs_every_few_seconds_and_seals(trail):
    from auditing.tasks import audit_rows_seal_task
    from config.celery import app

    audit_record(action=AuditAction.LOGIN, entity_type="accounts.user", entity_id="1")

    result = audit_rows_seal_task()

    assert result["seals"] == 1 and result["rows"] >= 1 and not result["lagging"]
    schedule = {entry["task"]: entry for entry in app.conf.beat_schedule.values()}
    assert schedule["auditing.tasks.audit_rows_seal_task"]["schedule"].seconds <= 10
    assert "auditing.tasks.audit_partitions_ensure_task" in schedule


def test_a_failed_verification_is_critical_and_notified(trail, caplog):
    from accounts.models import Notification
    from accounts.tests.factories import UserFactory
    from auditing.tasks import audit_chain_verify_task

    admin = UserFactory(is_staff=True, is_superuser=True)
    as_owner("UPDATE auditing_auditlog SET actor_label = 'someone else' WHERE id = %s", params=[trail[3]])

    result = audit_chain_verify_task()

    assert result is not None and not result["ok"] and result["broken_id"] == trail[3]
    assert [r.levelname for r in caplog.records if r.name == "auditing.alerts"] == ["CRITICAL"]
    assert Notification.objects.filter(user=admin, title="Audit trail verification FAILED").exists()


def test_alerts_reach_the_trails_readers_and_nobody_else(trail):
    from accounts.models import Notification
    from accounts.rbac_catalog import VIEW_AUDIT_LOG, VIEW_TICKET
    from accounts.tests.factories import staff_holding
    from auditing.alerts import verification_failed_alert

    reader, other = staff_holding(VIEW_AUDIT_LOG), staff_holding(VIEW_TICKET)
    as_owner("UPDATE auditing_auditlog SET actor_label = 'x' WHERE id = %s", params=[trail[0]])

    verification_failed_alert(broken())

    notified = set(Notification.objects.filter(title__startswith="Audit trail").values_list("user", flat=True))
    assert reader.pk in notified and other.pk not in notified
