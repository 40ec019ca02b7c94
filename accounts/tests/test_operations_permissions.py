"""Who may change the system settings and run a job now: the holders of a role granting it, and nobody else."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from accounts.models import UserRole
from accounts.rbac_catalog import CHANGE_SYSTEM_SETTINGS, RUN_JOB
from accounts.tests.factories import fresh, staff_holding
from operations.models import JobRun, JobTrigger, SystemSetting
from operations.services import job_run_now, system_settings_update

pytestmark = pytest.mark.django_db


def test_a_role_granting_the_settings_lets_its_holder_change_them_and_nothing_more():
    keeper = staff_holding(CHANGE_SYSTEM_SETTINGS)

    system_settings_update(changes={"support.auto_close_days": 10}, by=keeper)

    assert SystemSetting.objects.get(key="support.auto_close_days").value == 10
    with pytest.raises(PermissionDenied):
        job_run_now(job_name="job-runs-cleanup", by=keeper)


def test_a_role_granting_run_now_lets_its_holder_run_a_job_and_nothing_more():
    operator = staff_holding(RUN_JOB)

    job_run_now(job_name="job-runs-cleanup", by=operator)

    assert JobRun.objects.get(job="job-runs-cleanup").trigger == JobTrigger.MANUAL
    with pytest.raises(PermissionDenied):
        system_settings_update(changes={"support.auto_close_days": 10}, by=operator)


def test_an_expired_role_grants_neither():
    former = staff_holding(CHANGE_SYSTEM_SETTINGS, RUN_JOB)
    UserRole.objects.filter(user=former).update(
        assigned_at=timezone.now() - timedelta(days=2), expires_at=timezone.now() - timedelta(minutes=1)
    )
    former = fresh(former)

    with pytest.raises(PermissionDenied):
        system_settings_update(changes={"support.auto_close_days": 10}, by=former)
    with pytest.raises(PermissionDenied):
        job_run_now(job_name="job-runs-cleanup", by=former)
    assert not SystemSetting.objects.exists()
    assert not JobRun.objects.exists()
