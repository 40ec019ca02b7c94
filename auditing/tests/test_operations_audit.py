"""What the audit trail keeps of operations: each system setting change, and the verifications people ask for
from the audit viewer, recorded as job runs asked for by them."""

import pytest
from django.urls import reverse

from accounts.tests.factories import UserFactory, staff_holding
from auditing.models import AuditAction, AuditLog
from operations.models import JobOutcome, JobRun, JobTrigger, SystemSetting
from operations.services import system_settings_update

pytestmark = pytest.mark.usefixtures("require_postgres")


def test_a_setting_change_leaves_an_audit_event_with_before_and_after(django_capture_on_commit_callbacks):
    keeper = UserFactory(is_staff=True, is_superuser=True)
    for days in (10, 12):
        with django_capture_on_commit_callbacks(execute=True):
            system_settings_update(changes={"support.auto_close_days": days}, by=keeper)

    row = SystemSetting.objects.get(key="support.auto_close_days")
    events = AuditLog.objects.filter(entity_type="operations.systemsetting", entity_id=str(row.pk)).order_by("id")
    assert [event.action for event in events] == [AuditAction.CREATE, AuditAction.UPDATE]
    assert events[1].changes["value"] == ["10", "12"]
    assert row.updated_by == keeper


def test_verify_now_in_the_audit_viewer_runs_even_when_the_job_is_off_and_names_who_asked(client):
    # given an auditor, and the incremental verification switched off on the settings page
    auditor = staff_holding("auditing.view_auditlog")
    SystemSetting.objects.create(key="jobs.audit-chain-verify.enabled", value=False)
    client.force_login(auditor)

    # when they ask for a verification from the audit viewer
    response = client.post(reverse("auditing:audit_chain_verify"))

    # then it ran, recorded as asked for by them
    assert response.status_code == 302
    run = JobRun.objects.get(job="audit-chain-verify")
    assert (run.trigger, run.requested_by, run.outcome) == (JobTrigger.MANUAL, auditor, JobOutcome.SUCCEEDED)
    assert run.result is not None and run.result["ok"] is True
