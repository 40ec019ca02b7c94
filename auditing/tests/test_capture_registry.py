"""The capture registry: every table is a decision, security stays captured, and the database follows it."""

import pytest
from django.apps import apps
from django.contrib.auth.models import Group
from django.contrib.auth.models import Permission as DjangoPermission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from guardian.models import GroupObjectPermission, UserObjectPermission
from guardian.models.models import BaseObjectPermission

from accounts.models import Role, User
from accounts.tests.factories import RoleFactory, UserFactory
from auditing.capture import capture_triggers_inactive, capture_triggers_install, captured_models, registry_models
from auditing.capture_registry import CAPTURE_REGISTRY, SECURITY_RELEVANT, Captured, NotCaptured
from auditing.models import AuditAction, AuditLog

# Third-party tables that grant access: the registry must decide about them although no app of ours owns them.
THIRD_PARTY_SECURITY = {
    "guardian.userobjectpermission",
    "guardian.groupobjectpermission",
    "accounts.user_groups",
    "accounts.user_user_permissions",
}


def labels(models) -> set[str]:
    return {model._meta.label_lower for model in models}


def capture_triggers(table: str) -> dict[str, str]:
    """The capture triggers on ``table``: name -> pg_trigger.tgenabled."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tgname, tgenabled FROM pg_trigger "
            "WHERE tgrelid = %s::regclass AND tgname LIKE 'auditing_capture%%'",
            [table],
        )
        return dict(cursor.fetchall())


def security_relevant_models() -> set[str]:
    """What the registry must keep captured, found from the code, not only from the registry's own list."""
    object_permissions = {m for m in apps.get_models() if issubclass(m, BaseObjectPermission)}
    user_links = {User.groups.through, User.user_permissions.through}
    return labels(object_permissions | user_links) | {"accounts.user", "accounts.role", "accounts.userrole"}


def test_every_table_of_ours_and_every_third_party_grant_table_is_a_decision():
    decided = labels(registry_models())

    assert decided >= THIRD_PARTY_SECURITY | {"analytics.kpimetric", "auditing.auditlog"}
    missing = sorted(decided - CAPTURE_REGISTRY.keys())
    assert missing == [], f"add an entry to auditing/capture_registry.py for: {', '.join(missing)}"
    assert THIRD_PARTY_SECURITY <= CAPTURE_REGISTRY.keys()


def test_every_entry_names_a_model_and_says_why():
    for label, decision in CAPTURE_REGISTRY.items():
        model = apps.get_model(label)  # a stale entry raises LookupError
        if isinstance(decision, NotCaptured):
            assert decision.reason.strip() and "\n" not in decision.reason, label
        else:
            concrete = {field.name for field in model._meta.concrete_fields}
            for name, reason in decision.bookkeeping.items():
                assert name in concrete, f"{label}.{name} is no column"
                assert reason.strip() and "\n" not in reason, f"{label}.{name}"


def test_security_relevant_tables_stay_captured():
    must_capture = SECURITY_RELEVANT | security_relevant_models()

    assert must_capture >= {
        "accounts.user",
        "accounts.role",
        "accounts.permission",
        "accounts.rolepermission",
        "accounts.userrole",
        "consultants.bookinguserobjectpermission",
        *THIRD_PARTY_SECURITY,
    }
    # Captured whole: a bookkeeping column of one of these would hide a change to who may do what.
    assert sorted(label for label in must_capture if CAPTURE_REGISTRY.get(label) != Captured()) == []
    assert labels(captured_models()) >= must_capture


def test_derived_data_and_the_trail_itself_are_not_captured():
    not_captured = {label for label, decision in CAPTURE_REGISTRY.items() if not decision.captured}

    assert {"analytics.kpimetric", "auditing.auditlog", "auditing.systemlog"} <= not_captured
    assert not_captured.isdisjoint(labels(captured_models()))
    kpi_values = CAPTURE_REGISTRY["analytics.kpimetric"]
    assert isinstance(kpi_values, NotCaptured) and kpi_values.reason.startswith("derived:")


@pytest.mark.usefixtures("require_postgres")
class TestInTheDatabase:
    def test_group_and_permission_links_and_guardian_grants_are_captured(self):
        # given
        user, role = UserFactory(), RoleFactory()
        group = Group.objects.create(name="reviewers")
        permission = DjangoPermission.objects.get(codename="change_role")
        # when
        user.groups.add(group)
        user.user_permissions.add(permission)
        UserObjectPermission.objects.create(
            user=user,
            permission=permission,
            content_type=ContentType.objects.get_for_model(Role),
            object_pk=str(role.pk),
        )
        GroupObjectPermission.objects.create(
            group=group,
            permission=permission,
            content_type=ContentType.objects.get_for_model(Role),
            object_pk=str(role.pk),
        )
        user.groups.remove(group)
        # then
        recorded = AuditLog.objects.filter(entity_type__in=THIRD_PARTY_SECURITY)
        assert sorted(recorded.values_list("entity_type", "action")) == sorted(
            [
                ("accounts.user_groups", AuditAction.CREATE),
                ("accounts.user_groups", AuditAction.DELETE),
                ("accounts.user_user_permissions", AuditAction.CREATE),
                ("guardian.userobjectpermission", AuditAction.CREATE),
                ("guardian.groupobjectpermission", AuditAction.CREATE),
            ]
        )
        link = recorded.get(entity_type="accounts.user_groups", action=AuditAction.CREATE)
        assert (link.changes["user_id"], link.changes["group_id"]) == ([None, str(user.pk)], [None, str(group.pk)])

    def test_an_update_of_bookkeeping_columns_only_writes_nothing(self):
        # given a stored file (no import of attachments: auditing sits below the domain apps)
        attachment_model = apps.get_model("attachments", "FileAttachment")
        attachment = attachment_model.objects.create(
            owner_type="USER",
            owner_id=1,
            file="attachments/2026/01/contract.pdf",
            original_name="contract.pdf",
            content_type="application/pdf",
            size_bytes=1024,
            checksum_sha256="0" * 64,
        )
        recorded = AuditLog.objects.filter(entity_type="attachments.fileattachment", entity_id=str(attachment.pk))
        # when it is downloaded twice, then made public
        attachment_model.objects.filter(pk=attachment.pk).update(download_count=1)
        attachment_model.objects.filter(pk=attachment.pk).update(download_count=2)
        attachment_model.objects.filter(pk=attachment.pk).update(is_public=True, download_count=3)
        # then the downloads left no row and the change of visibility one, without the tally
        assert [(event.action, event.changes) for event in recorded.order_by("id")][1:] == [
            (AuditAction.UPDATE, {"is_public": ["f", "t"]})
        ]

    def test_a_disabled_capture_trigger_is_noticed(self):
        assert capture_triggers_inactive() == []

        with connection.cursor() as cursor:
            cursor.execute("ALTER TABLE billing_payment DISABLE TRIGGER auditing_capture_update")
            # Enabled for replica sessions only, it no longer fires in the application's own.
            cursor.execute("ALTER TABLE backups_backup ENABLE REPLICA TRIGGER auditing_capture_delete")

        assert capture_triggers_inactive() == [
            "backups_backup.auditing_capture_delete",
            "billing_payment.auditing_capture_update",
        ]

    def test_a_missing_capture_trigger_is_noticed_and_reinstalled(self):
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER auditing_capture_insert ON accounts_user_groups")
        assert capture_triggers_inactive() == ["accounts_user_groups.auditing_capture_insert"]

        capture_triggers_install()

        assert capture_triggers_inactive() == []

    def test_capture_fires_even_in_replica_sessions(self):
        # given every capture trigger installed ENABLE ALWAYS
        assert set(capture_triggers("accounts_role").values()) == {"A"}
        role = RoleFactory(description="before")
        # when a session switches ordinary triggers off (as a logical-replication apply or a restore may)
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute("UPDATE accounts_role SET description = 'after' WHERE id = %s", [role.pk])
            cursor.execute("SET LOCAL session_replication_role = origin")
        # then the change is still recorded
        event = AuditLog.objects.get(entity_type="accounts.role", entity_id=str(role.pk), action=AuditAction.UPDATE)
        assert event.changes == {"description": ["before", "after"]}

    def test_an_entry_flipped_to_not_captured_loses_its_triggers_at_the_next_install(self, monkeypatch):
        # given
        assert len(capture_triggers("backups_backup")) == 3
        monkeypatch.setitem(CAPTURE_REGISTRY, "backups.backup", NotCaptured("derived: a test says so"))
        # when migrate reinstalls the triggers
        captured_tables = capture_triggers_install()
        # then
        assert capture_triggers("backups_backup") == {}
        assert captured_tables == len(captured_models())
        assert capture_triggers_inactive() == []  # nothing expected there any more
        assert len(capture_triggers("billing_payment")) == 3
