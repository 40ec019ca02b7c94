"""The logs, the KPI values, the roles and grants, the job runs and the system settings can be looked at in the
admin, never altered there."""

import pytest
from django.contrib import admin

from accounts.models import Permission, Role, RolePermission, UserRole
from accounts.tests.factories import PermissionFactory, RolePermissionFactory, UserFactory, UserRoleFactory
from analytics.models import KPIMetric
from auditing.models import AuditLog, SystemLog
from backoffice.tests.admin_rows import STAFF_PAGE_MODELS, create_rows, registered_models
from core.admin_readonly import ReadOnlyAdminMixin
from core.testing import admin_url
from operations.models import JobRun, SystemSetting

pytestmark = pytest.mark.django_db

# Job runs are written by the task base as jobs run; settings only through the service that validates them.
READ_ONLY_MODELS = [AuditLog, SystemLog, KPIMetric, Role, Permission, RolePermission, UserRole, JobRun, SystemSetting]


def test_exactly_the_logs_kpi_values_roles_grants_job_runs_and_settings_are_read_only():
    read_only = {model for model in registered_models() if isinstance(admin.site._registry[model], ReadOnlyAdminMixin)}
    assert read_only == set(READ_ONLY_MODELS)


@pytest.mark.parametrize("model", READ_ONLY_MODELS, ids=lambda model: model.__name__)
def test_superuser_may_view_but_not_add_change_or_delete(admin_client, model):
    # given a row
    (row,) = create_rows(model, 1)
    before = model.objects.values().get(pk=row.pk)
    # when a superuser opens it and tries to add, change and delete
    view = admin_client.get(admin_url(model, "change", row.pk))
    add = admin_client.post(admin_url(model, "add"), {})
    change = admin_client.post(admin_url(model, "change", row.pk), {})
    delete = admin_client.post(admin_url(model, "delete", row.pk), {"post": "yes"})
    bulk_delete = admin_client.post(
        admin_url(model, "changelist"), {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"}
    )
    # then the row is shown, read-only (the trail and the log on their staff pages), and every write is
    # refused and changes nothing
    if model in STAFF_PAGE_MODELS:
        assert view.status_code == 302 and admin_client.get(view["Location"]).status_code == 200
    else:
        assert view.status_code == 200
        assert view.context["has_change_permission"] is False
        assert 'name="_save"' not in view.content.decode()
    assert (add.status_code, change.status_code, delete.status_code) == (403, 403, 403)
    assert bulk_delete.status_code == 200  # Django offers no delete action, so it lists the rows again
    assert model.objects.values().get(pk=row.pk) == before


def test_staff_whose_role_grants_the_view_permission_may_view_the_audit_log(client):
    # given a staff member whose role grants auditing.view_auditlog
    staff = UserFactory(is_staff=True)
    permission = PermissionFactory(resource="auditing.auditlog", action="view")
    role = RolePermissionFactory(permission=permission).role
    UserRoleFactory(user=staff, role=role)
    (row,) = create_rows(AuditLog, 1)
    client.force_login(staff)
    # when they open the list and the row
    changelist = client.get(admin_url(AuditLog, "changelist"))
    change = client.get(admin_url(AuditLog, "change", row.pk))
    # then both open, on the staff viewer the admin sends them to, and still nothing can be written
    assert (changelist.status_code, change.status_code) == (302, 302)
    assert client.get(changelist["Location"]).status_code == 200
    assert client.get(change["Location"]).status_code == 200
    assert client.post(admin_url(AuditLog, "change", row.pk), {}).status_code == 403


def test_staff_whose_roles_do_not_grant_the_view_permission_may_not_view_the_audit_log(client):
    # given a staff member whose role grants the system log, not the audit log
    staff = UserFactory(is_staff=True)
    permission = PermissionFactory(resource="auditing.systemlog", action="view")
    UserRoleFactory(user=staff, role=RolePermissionFactory(permission=permission).role)
    client.force_login(staff)
    # then the audit log is refused
    assert client.get(admin_url(AuditLog, "changelist")).status_code == 403
