"""In a real browser, an administrator edits a role's permission matrix and grants a role with expiry."""

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from accounts.models import Permission, Role, UserRole
from accounts.rbac_catalog import SUPER_ADMIN
from accounts.tests.factories import UserFactory
from core.tests.browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def administrator():
    call_command("seed_rbac", verbosity=0)
    user = UserFactory(is_staff=True, email="ops.lead@example.com", full_name="Olivia Lead")
    UserRole.objects.create(user=user, role=Role.objects.get(name=SUPER_ADMIN))
    return user


def test_an_admin_edits_the_matrix_and_grants_a_role_with_expiry(page, live_server, administrator, screenshot_dir):
    # given a custom role with no permissions
    sign_in(page, live_server, administrator.email, next_url="/staff/access/roles/")
    page.wait_for_selector("h1.page-title")
    page.fill("input[name=name]", "refund_reviewer")
    page.fill("input[name=description]", "Reviews and approves refunds")
    page.click("text=Create role")
    page.wait_for_selector("text=Role REFUND_REVIEWER created")
    role = Role.objects.get(name="REFUND_REVIEWER")

    # when they tick "all" on refunds and one payment permission, and save
    page.check("tr[data-resource='billing.refund'] .select-row")
    page.check("input[aria-label='billing.view_payment']")
    page.screenshot(path=screenshot_dir / "role-matrix.png", full_page=False)
    page.click("#matrix-form .matrix-toolbar button >> nth=0")
    page.wait_for_selector("text=Permissions of REFUND_REVIEWER saved")

    # then the role holds exactly those
    granted = {p.codename for p in Permission.objects.filter(role_permissions__role=role)}
    assert granted == {
        "billing.view_refund",
        "billing.add_refund",
        "billing.change_refund",
        "billing.delete_refund",
        "billing.approve_refund",
        "billing.process_refund",
        "billing.view_payment",
    }

    # when they grant the role to a colleague until a date
    colleague = UserFactory(is_staff=True, full_name="Carl Colleague")
    page.goto(f"{live_server.url}/staff/access/users/{colleague.pk}/roles/")
    page.select_option("select[name=role]", label="REFUND_REVIEWER")
    expiry = timezone.localtime(timezone.now() + timedelta(days=14)).replace(second=0, microsecond=0)
    page.fill("input[name=expires_at]", expiry.strftime("%Y-%m-%dT%H:%M"))
    page.click("form[action$='/roles/grant/'] button[type=submit]")
    page.wait_for_selector("text=now holds REFUND_REVIEWER until")
    page.screenshot(path=screenshot_dir / "user-roles.png", full_page=True)

    # then the assignment carries the expiry and the colleague now holds the permission
    assignment = UserRole.objects.get(user=colleague, role=role)
    assert assignment.expires_at == expiry and assignment.assigned_by == administrator
    page.goto(f"{live_server.url}/staff/access/roles/")
    page.screenshot(path=screenshot_dir / "roles.png", full_page=True)
