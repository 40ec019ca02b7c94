"""Automatic change capture by the database: every write path, exactly one row per changed row."""

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from accounts.models import Role, User
from accounts.tests.factories import RoleFactory, UserFactory
from auditing.capture import capture_triggers_inactive, captured_models
from auditing.models import AuditAction, AuditLog
from auditing.services import REDACTED
from core.request_context import RequestContext, bind

pytestmark = pytest.mark.usefixtures("require_postgres")


@pytest.fixture
def staff():
    return UserFactory(is_staff=True, email="agent@example.com")


@pytest.fixture
def request_by(staff):
    """Binds a request context as the middleware would."""
    return RequestContext(user=staff, ip_address="198.51.100.23", user_agent="Firefox/140", request_id="req-42")


def events(entity_type="accounts.role", **filters):
    return AuditLog.objects.filter(entity_type=entity_type, **filters).order_by("id")


def test_every_domain_table_has_its_capture_triggers():
    assert {m._meta.label_lower for m in captured_models()} >= {
        "accounts.user",
        "accounts.user_groups",
        "guardian.userobjectpermission",
        "billing.payment",
        "backups.backup",
    }
    assert not any(m._meta.app_label in {"auditing", "analytics"} for m in captured_models())
    assert capture_triggers_inactive() == []


def test_create_update_delete_each_write_one_row_with_who_where_and_the_diff(request_by, staff):
    with bind(request_by):
        role = Role.objects.create(name="AUDITOR", description="Reads the trail")
        role.description = "Reads and exports the trail"
        role.save()
        role_id = role.pk
        role.delete()

    create, update, delete = events(entity_id=str(role_id))
    assert [create.action, update.action, delete.action] == [AuditAction.CREATE, AuditAction.UPDATE, AuditAction.DELETE]
    for event in (create, update, delete):
        assert (event.actor_id, event.actor_label) == (staff.pk, "agent@example.com")
        assert (event.ip_address, event.user_agent, event.request_id) == ("198.51.100.23", "Firefox/140", "req-42")
        assert len(event.row_hash) == 64
    assert create.changes["name"] == [None, "AUDITOR"]
    assert update.changes == {"description": ["Reads the trail", "Reads and exports the trail"]}
    assert delete.changes["name"] == ["AUDITOR", None]


def test_an_update_that_changes_nothing_writes_nothing():
    role = RoleFactory()
    before = AuditLog.objects.count()

    role.save()  # updated_at moves, nothing else does
    Role.objects.filter(pk=role.pk).update(name=role.name)

    assert AuditLog.objects.count() == before


def test_bulk_and_queryset_paths_are_captured_row_by_row(request_by):
    with bind(request_by):
        created = Role.objects.bulk_create([Role(name=f"BULK_{n}", description="") for n in range(5)])
        for role in created:
            role.description = f"changed {role.name}"
        Role.objects.bulk_update(created, ["description"])
        Role.objects.filter(name__startswith="BULK_").update(is_system=True)
        Role.objects.filter(name__startswith="BULK_").delete()

    ids = {str(role.pk) for role in created}
    by_action = {action: list(events(entity_id__in=ids, action=action)) for action in AuditAction.values}
    assert len(by_action["CREATE"]) == 5
    assert len(by_action["DELETE"]) == 5
    updates = by_action["UPDATE"]
    assert len(updates) == 10
    assert {"description": ["", "changed BULK_0"]} in [e.changes for e in updates]
    # Values are recorded as PostgreSQL prints them: booleans are "f" and "t".
    assert all(e.changes == {"is_system": ["f", "t"]} for e in updates if "is_system" in e.changes)
    assert all(e.request_id == "req-42" for events_ in by_action.values() for e in events_)


def test_raw_sql_outside_the_application_is_recorded_as_the_database_user():
    role = RoleFactory(description="old")
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('auditing.context', '', true)")
        cursor.execute("UPDATE accounts_role SET description = 'new' WHERE id = %s", [role.pk])

    event = events(entity_id=str(role.pk), action=AuditAction.UPDATE).get()
    assert event.actor_id is None and event.actor_label == f"database: {event.database_role}"
    assert event.changes == {"description": ["old", "new"]}


def test_a_context_claimed_by_a_session_still_names_its_database_role(staff):
    # Whatever context a session pushes (here: a staff member, from a made-up address), the row keeps the
    # database role that session signed in as, which the context cannot change.
    role = RoleFactory(description="old")
    claimed = f'{{"actor_id": {staff.pk}, "actor_label": "agent@example.com", "ip": "192.0.2.99"}}'
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config('auditing.context', %s, true), session_user", [claimed])
        session_role = cursor.fetchone()[1]
        cursor.execute("UPDATE accounts_role SET description = 'new' WHERE id = %s", [role.pk])

    event = events(entity_id=str(role.pk), action=AuditAction.UPDATE).get()
    assert (event.actor_label, event.ip_address) == ("agent@example.com", "192.0.2.99")
    assert event.database_role == session_role


def test_secrets_never_reach_the_trail(request_by):
    with bind(request_by):
        user = User.objects.create_user(email="new@example.com", password="first-secret-pass")
        user.set_password("second-secret-pass")
        user.save()
    hashes = [user.password]

    rows = events("accounts.user", entity_id=str(user.pk))
    assert [row.action for row in rows] == [AuditAction.CREATE, AuditAction.UPDATE]
    assert rows[0].changes["password"] == [None, REDACTED]
    assert rows[1].changes == {"password": [REDACTED, REDACTED]}
    text = " ".join(str(row.changes) for row in AuditLog.objects.all())
    assert not any(secret in text for secret in ["first-secret-pass", "second-secret-pass", *hashes])


def test_the_database_refuses_to_change_or_delete_audit_rows():
    RoleFactory()
    event = AuditLog.objects.latest("id")

    for attempt in (
        lambda: AuditLog.objects.filter(pk=event.pk).update(actor_label="someone else"),
        lambda: AuditLog.objects.filter(pk=event.pk).delete(),
        lambda: event.delete(),
    ):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            attempt()
    assert AuditLog.objects.get(pk=event.pk).actor_label == event.actor_label


def test_deleting_a_user_keeps_what_they_did():
    user = UserFactory(email="leaver@example.com")
    with bind(RequestContext(user=user)):
        role = RoleFactory()
    user_id = user.pk
    user.delete()

    event = events(entity_id=str(role.pk), action=AuditAction.CREATE).get()
    assert (event.actor_id, event.actor_label) == (user_id, "leaver@example.com")
    assert AuditLog.objects.select_related("actor").get(pk=event.pk).actor is None


def test_commands_act_as_the_system():
    call_command("seed_rbac", verbosity=0)

    assert set(events(action=AuditAction.CREATE).values_list("actor_label", flat=True)) == {"system: seed_rbac"}


def test_the_context_follows_savepoints_and_changes_of_actor(staff):
    someone = UserFactory(email="someone@example.com")
    with bind(RequestContext(user=staff, request_id="first")):
        RoleFactory(name="ONE")
        with bind(RequestContext(user=someone, request_id="second")):
            with pytest.raises(RuntimeError), transaction.atomic():
                RoleFactory(name="ROLLED_BACK")
                raise RuntimeError
            RoleFactory(name="TWO")
        RoleFactory(name="THREE")

    def who(name):
        event = AuditLog.objects.get(action=AuditAction.CREATE, changes__name__1=name)
        return event.actor_label, event.request_id

    assert who("ONE") == ("agent@example.com", "first")
    assert who("TWO") == ("someone@example.com", "second")
    assert who("THREE") == ("agent@example.com", "first")
    assert not AuditLog.objects.filter(changes__name__1="ROLLED_BACK").exists()
