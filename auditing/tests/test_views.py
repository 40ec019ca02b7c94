"""The staff audit viewer, entity history, CSV export and system log pages."""

import csv
import io
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from accounts.rbac_catalog import ADMIN, CLIENT
from accounts.tests.factories import RoleFactory, UserFactory, holder_of
from auditing.models import AuditAction, AuditLog, AuditSeal, LogLevel
from auditing.services import audit_record
from auditing.tests.factories import SystemLogFactory
from core.request_context import RequestContext, bind

pytestmark = pytest.mark.django_db

AUDIT_LIST = reverse("auditing:audit_list")
EXPORT = reverse("auditing:audit_export")
LOGS = reverse("auditing:systemlog_list")


@pytest.fixture
def system_roles():
    call_command("seed_rbac", verbosity=0)


def page_events(response) -> list[AuditLog]:
    return [row["event"] for row in response.context["events"]]


def login_by(user, ip="203.0.113.5"):
    with bind(RequestContext(user=user, ip_address=ip, user_agent="Firefox/140")):
        return audit_record(action=AuditAction.LOGIN, entity=user)


def test_a_client_cannot_reach_any_audit_or_log_page(client, system_roles):
    person = holder_of(CLIENT, is_staff=False)
    event = login_by(person)
    client.force_login(person)
    for url in (
        AUDIT_LIST,
        EXPORT,
        LOGS,
        reverse("auditing:audit_detail", args=[event.pk]),
        reverse("auditing:entity_history", args=["accounts.user", person.pk]),
    ):
        # a client is not staff: sent to sign in as staff, as the admin does
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login")), url
    response = client.post(reverse("auditing:audit_chain_verify"))
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


def test_staff_without_the_export_permission_see_the_trail_but_cannot_export(client, system_roles):
    staff = holder_of(ADMIN)
    Role.objects.get(name=ADMIN).role_permissions.filter(permission__action="export").delete()
    client.force_login(staff)
    assert client.get(AUDIT_LIST).status_code == 200
    assert client.get(EXPORT).status_code == 403


def test_the_list_shows_who_did_what_with_a_readable_diff(admin_client, require_postgres):
    role = RoleFactory(name="AUDITOR", description="Reads")
    Role.objects.filter(pk=role.pk).update(description="Reads and exports")

    response = admin_client.get(AUDIT_LIST)

    html = response.content.decode()
    assert response.status_code == 200
    assert "Description: Reads → Reads and exports" in html
    assert f'href="{reverse("auditing:entity_history", args=["accounts.role", role.pk])}"' in html


def test_filters_narrow_the_list(admin_client, superuser, require_postgres):
    ann, bob = UserFactory(email="ann@example.com"), UserFactory(email="bob@example.com")
    ann_login = login_by(ann, ip="198.51.100.1")
    login_by(bob, ip="198.51.100.2")
    with bind(RequestContext(user=ann)):
        role = RoleFactory(name="FILTERED")
    today = timezone.localdate()

    def shown(**params):
        return page_events(admin_client.get(AUDIT_LIST, params))

    assert {e.actor_id for e in shown(actor="ANN@example.com")} == {ann.pk}
    assert shown(action="LOGIN", actor="bob@example.com")[0].actor_id == bob.pk
    assert [e.pk for e in shown(ip_address="198.51.100.1")] == [ann_login.pk]
    assert [e.action for e in shown(entity_type="accounts.role", entity_id=str(role.pk))] == ["CREATE"]
    assert len(shown(date_from=today.isoformat(), date_to=today.isoformat())) == AuditLog.objects.count()
    assert shown(date_to=(today - timedelta(days=1)).isoformat()) == []


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"ip_address": "not-an-ip"}, "Enter a valid IPv4 or IPv6 address."),
        ({"action": "TELEPORT"}, "Select a valid choice."),
        ({"date_from": "2026-02-30"}, "Enter a valid date."),
        ({"date_from": "2026-05-02", "date_to": "2026-05-01"}, "The end date is before the start date."),
    ],
)
def test_bad_filters_say_what_is_wrong_and_list_nothing(admin_client, params, message):
    login_by(UserFactory())

    response = admin_client.get(AUDIT_LIST, params)

    assert response.status_code == 200
    assert message in response.content.decode()
    assert page_events(response) == []


def test_pages_walk_older_and_back_without_counting(admin_client, django_assert_max_num_queries):
    people = UserFactory.create_batch(3)
    for n in range(120):
        login_by(people[n % 3])
    newest_first = list(AuditLog.objects.order_by("-created_at", "-id").values_list("pk", flat=True))

    first = admin_client.get(AUDIT_LIST)
    second = admin_client.get(AUDIT_LIST, {"before": first.context["page"].following})
    back = admin_client.get(AUDIT_LIST, {"after": second.context["page"].previous})

    assert [e.pk for e in page_events(first)] == newest_first[:50]
    assert [e.pk for e in page_events(second)] == newest_first[50:100]
    assert [e.pk for e in page_events(back)] == newest_first[:50]
    assert back.context["page"].is_first


def test_a_page_link_that_is_not_ours_falls_back_to_the_newest_page(admin_client):
    login_by(UserFactory())
    for token in ("x", "99999999999999999999999-1", "1-" + "9" * 30):
        response = admin_client.get(AUDIT_LIST, {"before": token})
        assert response.status_code == 200
        assert "That page link is not valid" in response.content.decode()


def test_the_list_runs_the_same_queries_for_five_rows_or_fifty(admin_client, django_assert_max_num_queries):
    people = UserFactory.create_batch(5)
    for person in people:
        login_by(person)
    admin_client.get(AUDIT_LIST)  # warm the permission cache
    with django_assert_max_num_queries(4) as few:
        admin_client.get(AUDIT_LIST)
    for n in range(60):
        login_by(people[n % 5])
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = admin_client.get(AUDIT_LIST)
    assert len(page_events(response)) == 50


def test_an_event_page_shows_the_whole_diff_and_context(admin_client, require_postgres):
    staff = UserFactory(email="agent@example.com")
    with bind(RequestContext(user=staff, ip_address="192.0.2.4", user_agent="Safari/18", request_id="req-9")):
        role = RoleFactory(name="DETAILED", description="before")
        Role.objects.filter(pk=role.pk).update(description="after")
    event = AuditLog.objects.get(action=AuditAction.UPDATE, entity_type="accounts.role")

    html = admin_client.get(reverse("auditing:audit_detail", args=[event.pk])).content.decode()

    for expected in ("agent@example.com", "192.0.2.4", "Safari/18", "req-9", event.row_hash, "before", "after"):
        assert expected in html


def test_the_admin_history_of_an_object_is_its_audit_trail(admin_client, require_postgres):
    role = RoleFactory(name="HISTORIC", description="v1")
    Role.objects.filter(pk=role.pk).update(description="v2")

    response = admin_client.get(reverse("admin:accounts_role_history", args=[role.pk]), follow=True)

    assert response.redirect_chain[-1][0] == reverse("auditing:entity_history", args=["accounts.role", role.pk])
    assert [item["event"].action for item in response.context["events"]] == ["UPDATE", "CREATE"]
    assert "v2" in response.content.decode()


def test_the_export_streams_the_filtered_trail_and_is_itself_audited(admin_client, superuser):
    sneaky = UserFactory(email="sneaky@example.com")
    with bind(RequestContext(user=sneaky, ip_address="198.51.100.9", user_agent="=HYPERLINK(1)")):
        audit_record(action=AuditAction.LOGIN, entity=sneaky)
    login_by(UserFactory())

    response = admin_client.get(EXPORT, {"action": "LOGIN", "ip_address": "198.51.100.9"})

    assert response.status_code == 200 and response.streaming
    assert response["Content-Disposition"].startswith('attachment; filename="audit-trail-')
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [(row["action"], row["actor_label"]) for row in rows] == [("LOGIN", "sneaky@example.com")]
    assert rows[0]["user_agent"] == "'=HYPERLINK(1)"  # a spreadsheet shows it, never runs it
    export = AuditLog.objects.get(action=AuditAction.EXPORT)
    assert export.actor == superuser
    assert export.changes == {"filters": {"action": "LOGIN", "ip_address": "198.51.100.9"}}


def test_exporting_with_bad_filters_exports_nothing(admin_client):
    response = admin_client.get(EXPORT, {"ip_address": "nope"})
    assert response.status_code == 302
    assert not AuditLog.objects.filter(action=AuditAction.EXPORT).exists()


def test_verify_now_runs_the_check_and_the_badge_shows_the_verdict(admin_client, require_postgres):
    login_by(UserFactory())
    response = admin_client.post(reverse("auditing:audit_chain_verify"), follow=True)
    html = response.content.decode()
    assert "Verified intact" in html


def test_the_badge_shows_the_sealed_head_and_the_lag(admin_client, require_postgres):
    from django.core.cache import cache

    from auditing.sealing import audit_rows_seal

    login_by(UserFactory())
    audit_rows_seal()
    head = AuditSeal.objects.latest("id").last_id
    login_by(UserFactory())  # written after the seal: waiting for the next one
    cache.clear()

    html = admin_client.get(AUDIT_LIST).content.decode()

    assert f"Sealed through #{head:,}" in html and "waiting · lag" in html


def test_the_system_log_filters_by_level_and_shows_tracebacks(admin_client):
    SystemLogFactory(level=LogLevel.WARNING, message="disk almost full")
    error = SystemLogFactory(level=LogLevel.ERROR, message="payment failed", traceback="Traceback: boom")

    warnings_only = admin_client.get(LOGS, {"level": ["WARNING"]}).context["page"].rows
    detail = admin_client.get(reverse("auditing:systemlog_detail", args=[error.pk])).content.decode()

    assert [entry.message for entry in warnings_only] == ["disk almost full"]
    assert "Traceback: boom" in detail and "payment failed" in detail


def test_without_postgresql_the_badge_says_there_is_no_chain(admin_client, monkeypatch):
    # The SQLite first-run default keeps no chain: the badge says so and offers no verification.
    monkeypatch.setattr("auditing.chain.connection", SimpleNamespace(vendor="sqlite"))

    html = admin_client.get(AUDIT_LIST).content.decode()

    assert "No sealed trail on this database" in html and "Verify now" not in html


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1899-12-31"])
@pytest.mark.parametrize("name", ["auditing:audit_list", "auditing:systemlog_list", "auditing:audit_export"])
def test_an_absurd_day_in_a_filter_is_refused_with_a_message(admin_client, name, day):
    # given an address with a day no record can have (the export sends back to the list with it)
    response = admin_client.get(reverse(name), {"date_from": day, "date_to": day}, follow=True)

    # then the filter form says what is wrong, instead of a server error
    assert response.status_code == 200
    assert "Enter a day between 1900-01-01 and 9998-12-31." in response.content.decode()
