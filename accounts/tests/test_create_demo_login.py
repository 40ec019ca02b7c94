"""`manage.py create_demo_login`: the demo staff account `make run` prints."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts.models import (
    Notification,
    NotificationChannel,
    NotificationStatus,
    Role,
    User,
    UserRole,
    UserStatus,
)
from accounts.rbac_catalog import SUPER_ADMIN

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded_rbac():
    call_command("seed_rbac", verbosity=0)


def create_demo_login(*args: str) -> str:
    out = StringIO()
    call_command("create_demo_login", *args, stdout=out)
    return out.getvalue().strip()


def demo_admin() -> User:
    return User.objects.get(email="admin@example.com")


def test_it_creates_an_active_superuser_holding_super_admin_for_good(seeded_rbac):
    # when
    output = create_demo_login()

    # then
    admin = demo_admin()
    assert output == "Demo login: admin@example.com / demo-admin-2026"
    assert admin.is_staff and admin.is_superuser and admin.status == UserStatus.ACTIVE
    assert admin.check_password("demo-admin-2026")
    assignment = UserRole.objects.get(user=admin)
    assert assignment.role.name == SUPER_ADMIN
    assert assignment.expires_at is None


def test_the_new_login_finds_a_welcome_in_its_inbox_and_a_rerun_adds_none(
    seeded_rbac, django_capture_on_commit_callbacks
):
    # when
    with django_capture_on_commit_callbacks(execute=True):
        create_demo_login()
    create_demo_login()

    # then: delivered once committed (tasks run in-process here), unread
    welcome = Notification.objects.get(user=demo_admin())
    assert welcome.title == "Welcome to the back office"
    assert (welcome.channel, welcome.status, welcome.read_at) == (
        NotificationChannel.IN_APP,
        NotificationStatus.SENT,
        None,
    )


def test_the_password_comes_from_the_setting_when_set(seeded_rbac, settings):
    # given DEMO_ADMIN_PASSWORD set (settings read it from the environment variable of that name)
    settings.DEMO_ADMIN_PASSWORD = "from-the-environment"

    # when
    output = create_demo_login()

    # then
    assert output == "Demo login: admin@example.com / from-the-environment"
    assert demo_admin().check_password("from-the-environment")


def test_rerunning_repairs_the_account_but_keeps_a_changed_password(seeded_rbac):
    # given: someone suspended the demo admin, took its role away and changed its password
    create_demo_login()
    admin = demo_admin()
    admin.status = UserStatus.SUSPENDED
    admin.set_password("changed-by-hand")
    admin.save()
    UserRole.objects.filter(user=admin).delete()

    # when
    output = create_demo_login()

    # then
    admin = demo_admin()
    assert admin.status == UserStatus.ACTIVE
    assert admin.check_password("changed-by-hand")
    assert UserRole.objects.filter(user=admin, role__name=SUPER_ADMIN).exists()
    assert "password was changed since" in output
    assert User.objects.filter(email__iexact="admin@example.com").count() == 1


def test_reset_password_sets_it_back(seeded_rbac):
    # given
    create_demo_login()
    admin = demo_admin()
    admin.set_password("changed-by-hand")
    admin.save()

    # when
    output = create_demo_login("--reset-password")

    # then
    assert output == "Demo login: admin@example.com / demo-admin-2026"
    assert demo_admin().check_password("demo-admin-2026")


def test_without_the_seeded_roles_it_fails_with_one_clear_line():
    # given: seed_rbac never ran
    assert not Role.objects.exists()

    # when / then
    with pytest.raises(CommandError, match=r"^the SUPER_ADMIN role does not exist; run `manage.py seed_rbac` first$"):
        create_demo_login()
    assert not User.objects.exists()
