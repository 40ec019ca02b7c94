"""The role-expiry job: warns ahead, records lapses once, and is safe to run again."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import Notification, UserRole
from accounts.tasks import user_roles_expiry_task
from accounts.tests.factories import RoleFactory, UserFactory
from auditing.models import AuditLog

pytestmark = pytest.mark.django_db


def assignment(expires_in: timedelta, assigner=None):
    now = timezone.now()
    return UserRole.objects.create(
        user=UserFactory(),
        role=RoleFactory(),
        assigned_by=assigner,
        assigned_at=now - timedelta(days=30),
        expires_at=now + expires_in,
    )


def test_holders_and_assigners_are_warned_once_before_expiry():
    # given a role expiring in two days, one in two weeks, and one never
    boss = UserFactory()
    soon = assignment(timedelta(days=2), assigner=boss)
    assignment(timedelta(days=14))
    UserRole.objects.create(user=UserFactory(), role=RoleFactory())
    # when the job runs twice
    assert user_roles_expiry_task() == {"warned": 1, "lapsed": 0}
    assert user_roles_expiry_task() == {"warned": 0, "lapsed": 0}
    # then holder and assigner each got one in-app and one e-mail notice
    notices = Notification.objects.filter(title__contains="expires soon")
    assert sorted(notices.values_list("user_id", flat=True)) == sorted([soon.user_id] * 2 + [boss.pk] * 2)


def test_a_lapsed_role_is_recorded_and_notified_once_by_the_system(require_postgres):
    lapsed = assignment(-timedelta(minutes=5))
    assert user_roles_expiry_task()["lapsed"] == 1
    assert user_roles_expiry_task()["lapsed"] == 0
    lapsed.refresh_from_db()
    assert lapsed.lapsed_at is not None
    event = AuditLog.objects.get(entity_type="accounts.userrole", entity_id=str(lapsed.pk), action="UPDATE")
    assert event.actor is None and event.actor_label == "system: user_roles_expiry_task"
    assert event.changes["lapsed_at"][0] is None
    assert Notification.objects.filter(user=lapsed.user, title__contains="has expired").count() == 1


def test_regranting_resets_the_notices():
    from django.core.management import call_command

    from accounts import services
    from accounts.tests.factories import UserFactory as Users

    call_command("seed_rbac", verbosity=0)
    boss = Users(is_superuser=True, is_staff=True)
    lapsed = assignment(-timedelta(minutes=5))
    user_roles_expiry_task()
    renewed = services.user_role_grant(
        user=lapsed.user, role=lapsed.role, expires_at=timezone.now() + timedelta(days=1), actor=boss
    )
    assert renewed.lapsed_at is None and renewed.expiry_warning_sent_at is None
    assert user_roles_expiry_task()["warned"] == 1


def test_the_job_is_in_the_beat_schedule():
    from config.celery import app

    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "accounts.tasks.user_roles_expiry_task" in tasks
