"""The trail reads as people know things: entities by the label they had, foreign keys by what they point at,
choices by their label, permission sets as lists, in a constant number of queries per page."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification, NotificationStatus
from accounts.tests.factories import NotificationFactory, RoleFactory, UserFactory
from auditing import presentation
from auditing.chain import audit_chain_verify
from auditing.models import AuditAction, AuditLog
from auditing.sealing import audit_rows_seal
from auditing.services import audit_record
from auditing.tests.trail import as_owner

pytestmark = pytest.mark.usefixtures("require_postgres")


def rows_of(entity_type: str, entity_id) -> list[AuditLog]:
    return list(AuditLog.objects.filter(entity_type=entity_type, entity_id=str(entity_id)).order_by("id"))


def test_captured_rows_keep_the_label_the_entity_had_then():
    person = UserFactory(full_name="Jonas Schneider", email="jonas@example.com")
    person_id = person.pk
    person.full_name = "Jonas Schneider-Weiß"
    person.save(update_fields=["full_name"])
    person.delete()

    events = rows_of("accounts.user", person_id)
    renamed = next(e for e in events if "full_name" in e.changes and e.action == "UPDATE")
    created, deleted = events[0], events[-1]
    assert [e.action for e in (created, renamed, deleted)] == ["CREATE", "UPDATE", "DELETE"], events
    assert created.entity_label == "Jonas Schneider · jonas@example.com"
    assert renamed.entity_label == "Jonas Schneider-Weiß · jonas@example.com"
    assert deleted.entity_label == "Jonas Schneider-Weiß · jonas@example.com"
    # Gone from the database, still named in the trail.
    assert presentation.entity_display(deleted) == "User · Jonas Schneider-Weiß · jonas@example.com"


def test_recorded_events_carry_the_label_of_their_entity():
    role = RoleFactory(name="Support agents")
    event = audit_record(action=AuditAction.SUSPEND, entity=role)
    event.refresh_from_db()
    assert event.entity_label == "Support agents"


def test_rows_without_a_label_hash_exactly_as_before_labels_existed():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT auditing_content(1, 'UPDATE', NULL, 'x', 'a.b', '1', '{}', NULL, '', '', now(), 'r', '') "
            "= jsonb_build_array(1, 'UPDATE', NULL, 'x', 'a.b', '1', '{}'::jsonb, NULL, '', '', "
            "(extract(epoch FROM now()) * 1000000)::bigint, 'r')::text"
        )
        assert cursor.fetchone()[0] is True


def test_a_label_rewritten_after_sealing_is_caught_at_its_row():
    role = RoleFactory(name="Finance")
    (created,) = rows_of("accounts.role", role.pk)
    audit_rows_seal()
    assert audit_chain_verify(full=True).ok
    as_owner("UPDATE auditing_auditlog SET entity_label = 'Everyone' WHERE id = %s", params=[created.pk])
    verdict = audit_chain_verify(full=True)
    assert not verdict.ok and verdict.broken_id == created.pk


def test_foreign_keys_and_choices_read_by_their_labels():
    person = UserFactory(full_name="Amira Haddad")
    notification = NotificationFactory(user=person, status=NotificationStatus.PENDING)
    Notification.objects.filter(pk=notification.pk).update(status=NotificationStatus.SENT, sent_at=timezone.now())
    created, sent = rows_of("accounts.notification", notification.pk)
    labels = presentation.Labels.for_events([created, sent])

    rows = {row.field: row for row in presentation.diff_rows(created.entity_type, created.changes, labels)}
    assert rows["User"].after == f"Amira Haddad · {person.email} (#{person.pk})"
    status = {row.field: row for row in presentation.diff_rows(sent.entity_type, sent.changes, labels)}["Status"]
    assert (status.before, status.after) == ("Pending", "Sent")
    assert "Status: Pending → Sent" in presentation.change_summary(sent.entity_type, sent.changes, labels)


def test_a_foreign_key_to_a_row_deleted_since_reads_as_its_type_and_id():
    event = AuditLog(entity_type="accounts.notification", changes={"user_id": [None, "987654"]})
    (row,) = presentation.diff_rows(event.entity_type, event.changes, presentation.Labels.for_events([event]))
    assert row.after == "User #987654"


def test_a_permission_set_change_reads_as_the_lists_of_what_was_added_and_removed(admin_client):
    role = RoleFactory(name="Auditors")
    event = audit_record(
        action=AuditAction.UPDATE,
        entity=role,
        changes={"permissions": {"added": ["auditing.view_auditlog", "auditing.view_systemlog"], "removed": []}},
    )
    (row,) = presentation.diff_rows(event.entity_type, event.changes)
    assert row.is_set_change and row.added == ("auditing.view_auditlog", "auditing.view_systemlog")
    html = admin_client.get(reverse("auditing:audit_detail", args=[event.pk])).content.decode()
    assert '<ul class="set-items added">' in html and "<code>auditing.view_systemlog</code>" in html
    assert "Role · Auditors" in html
    assert '{"added"' not in html


def _audit_list_queries(admin_client) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(reverse("auditing:audit_list"), {"entity_type": "accounts.notification"})
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_resolving_labels_costs_the_same_queries_for_a_few_rows_as_for_a_full_page(admin_client):
    _audit_list_queries(admin_client)  # the session's and the caches' first reads
    for n in range(3):
        NotificationFactory(user=UserFactory(), title=f"Few {n}")
    few, html = _audit_list_queries(admin_client)
    assert "Few 2" in html
    for n in range(40):
        NotificationFactory(user=UserFactory(), title=f"Many {n}")
    many, html = _audit_list_queries(admin_client)
    assert "Many 39" in html
    assert many == few


def test_the_admins_audit_pages_give_way_to_the_staff_viewer(admin_client):
    event = audit_record(action=AuditAction.LOGIN, entity=UserFactory())
    response = admin_client.get(reverse("admin:auditing_auditlog_changelist"))
    assert response.status_code == 302 and response["Location"] == reverse("auditing:audit_list")
    response = admin_client.get(reverse("admin:auditing_auditlog_change", args=[event.pk]))
    assert response["Location"] == reverse("auditing:audit_detail", args=[event.pk])
    response = admin_client.get(reverse("admin:auditing_systemlog_changelist"))
    assert response["Location"] == reverse("auditing:systemlog_list")


def test_the_actor_filter_finds_people_by_part_of_their_name_ignoring_case_and_accents(admin_client):
    from core.request_context import RequestContext, bind

    person = UserFactory(full_name="Jürgen Weißmüller", email="jw@example.com")
    with bind(RequestContext(user=person, ip_address="203.0.113.9", user_agent="Firefox/140")):
        event = audit_record(action=AuditAction.LOGIN, entity=person)
    for typed in ("jurgen", "WEISSMÜLLER"[:5].lower(), "Jürgen Weiß", "jw@example"):
        response = admin_client.get(reverse("auditing:audit_list"), {"actor": typed})
        assert event in [row["event"] for row in response.context["events"]], typed
    response = admin_client.get(reverse("auditing:audit_list"), {"actor": "Nobody Ofthatname"})
    assert response.status_code == 200 and response.context["events"] == []


def test_work_done_without_a_user_reads_in_the_readers_language(admin_client):
    # given events recorded by a job, by an anonymous visitor and outside any request
    from django.utils import translation

    from core import request_context

    with request_context.bind_system_actor("compute_kpis"):
        by_job = audit_record(action=AuditAction.UPDATE, entity_type="analytics.kpimetric", changes={"values": 1})
    with request_context.bind(request_context.RequestContext(actor_label=request_context.ANONYMOUS_ACTOR)):
        by_visitor = audit_record(action=AuditAction.LOGIN_FAILED, entity_type="accounts.user")
    by_nobody = audit_record(action=AuditAction.UPDATE, entity_type="accounts.user", changes={"x": 1})
    # then they read as such in English and in Arabic
    assert [presentation.actor_display(e) for e in (by_job, by_visitor, by_nobody)] == [
        "system: compute_kpis",
        "anonymous",
        "system",
    ]
    with translation.override("ar"):
        assert [presentation.actor_display(e) for e in (by_job, by_visitor, by_nobody)] == [
            "النظام: compute_kpis",
            "مجهول",
            "نظام",
        ]
    # and the detail page shows them so
    response = admin_client.get(reverse("auditing:audit_detail", args=[by_job.pk]), HTTP_ACCEPT_LANGUAGE="ar")
    assert "النظام: compute_kpis" in response.content.decode()
