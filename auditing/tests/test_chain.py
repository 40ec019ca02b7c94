"""The hash chain: verify_audit_chain finds edits, deletions and reorderings at the right row, and
concurrent writers leave a chain that verifies."""

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, connections

from accounts.tests.factories import RoleFactory, UserFactory
from auditing.chain import audit_chain_last_verdict, audit_chain_verify
from auditing.models import AuditAction, AuditLog
from auditing.services import audit_record
from core.request_context import RequestContext, bind


@pytest.fixture
def trail(require_postgres):
    """Ten audit rows: five captured creates, five recorded events."""
    for n in range(5):
        role = RoleFactory(name=f"CHAIN_{n}")
        audit_record(action=AuditAction.LOGIN, entity=role)
    return list(AuditLog.objects.order_by("id").values_list("id", flat=True))


def tamper(sql, params=()):
    """What someone with the table owner's rights could do: switch the guard off and rewrite rows."""
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE auditing_auditlog DISABLE TRIGGER auditing_auditlog_append_only")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE auditing_auditlog ENABLE TRIGGER auditing_auditlog_append_only")


def verify_output(capsys):
    call_command("verify_audit_chain")
    return capsys.readouterr().out


def test_an_untouched_chain_verifies(trail, capsys):
    out = verify_output(capsys)

    head = AuditLog.objects.latest("id")
    assert out == f"OK: 10 audit rows verified; head #{head.pk} {head.row_hash}.\n"
    verdict = audit_chain_last_verdict()
    assert verdict is not None and verdict.ok


def test_an_edited_field_breaks_the_chain_at_that_row(trail):
    tamper("UPDATE auditing_auditlog SET actor_label = 'someone else' WHERE id = %s", [trail[3]])

    with pytest.raises(CommandError, match=f"BROKEN at audit row #{trail[3]} "):
        call_command("verify_audit_chain")
    verdict = audit_chain_last_verdict()
    assert verdict is not None and verdict.broken_id == trail[3]


def test_an_edit_with_a_recomputed_hash_breaks_the_chain_at_the_next_row(trail):
    tamper("UPDATE auditing_auditlog SET actor_label = 'someone else' WHERE id = %s", [trail[3]])
    tamper(
        "UPDATE auditing_auditlog a SET row_hash = encode(sha256(convert_to("
        "(SELECT row_hash FROM auditing_auditlog WHERE id = %s) || auditing_auditlog_content(a), 'UTF8')), 'hex') "
        "WHERE id = %s",
        [trail[2], trail[3]],
    )

    assert audit_chain_verify().broken_id == trail[4]


def test_a_deleted_row_breaks_the_chain_at_the_row_after_it(trail):
    tamper("DELETE FROM auditing_auditlog WHERE id = %s", [trail[6]])

    assert audit_chain_verify().broken_id == trail[7]


def test_swapped_rows_break_the_chain_at_the_first_of_them(trail):
    columns = "action, actor_id, actor_label, entity_type, entity_id, changes, created_at, row_hash"
    tamper(
        f"UPDATE auditing_auditlog a SET ({columns}) = (SELECT {columns} FROM auditing_auditlog b "  # noqa: S608
        "WHERE b.id = CASE a.id WHEN %s THEN %s ELSE %s END) WHERE a.id IN (%s, %s)",
        [trail[2], trail[5], trail[2], trail[2], trail[5]],
    )

    assert audit_chain_verify().broken_id == trail[2]


def test_the_command_exits_non_zero_on_a_break(trail):
    tamper("DELETE FROM auditing_auditlog WHERE id = %s", [trail[0]])

    with pytest.raises(CommandError, match=f"#{trail[1]}"):
        call_command("verify_audit_chain")


@pytest.mark.django_db(transaction=True)
def test_two_hundred_concurrent_writers_leave_a_chain_that_verifies(require_postgres):
    writers = 200
    people = [UserFactory() for _ in range(10)]

    def write(n: int) -> None:
        try:
            with bind(RequestContext(user=people[n % 10], request_id=f"writer-{n}")):
                from django.db import transaction

                with transaction.atomic():
                    role = RoleFactory(name=f"CONCURRENT_{n}")  # a captured row
                    audit_record(action=AuditAction.LOGIN, entity=role)  # and a recorded event
        finally:
            connections.close_all()

    before = AuditLog.objects.count()
    # PostgreSQL here allows 100 connections: 200 writer transactions from 48 concurrent sessions.
    with ThreadPoolExecutor(max_workers=48) as pool:
        list(pool.map(write, range(writers)))

    verdict = audit_chain_verify()
    assert verdict.ok, verdict
    assert verdict.rows == before + 2 * writers
    # Ids follow the chain: each writer's two rows are adjacent, never interleaved with another's.
    request_ids = list(
        AuditLog.objects.filter(request_id__startswith="writer-").order_by("id").values_list("request_id", flat=True)
    )
    assert all(request_ids[i] == request_ids[i + 1] for i in range(0, len(request_ids), 2))


def test_the_command_fails_when_a_table_is_no_longer_captured(trail):
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER auditing_capture_update ON accounts_role")

    with pytest.raises(CommandError, match="not captured on: accounts_role.auditing_capture_update"):
        call_command("verify_audit_chain")
