"""A real browser signs in with the seeded staff login and opens every admin page of every model."""

import re

import pytest
from django.contrib import admin
from django.core.management import call_command

from backoffice.navigation import AREAS
from core.tests.browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Models nobody adds rows to through the admin: logs and computed values are written by the
# application, roles and grants only through the role pages (which guard against escalation).
NO_ADD_PAGE = {
    "accounts.Permission",
    "accounts.Role",
    "accounts.RolePermission",
    "accounts.UserRole",
    "analytics.KPIMetric",
    # Files arrive only through the upload service, which checks what they are (attachments roadmap).
    "attachments.FileAttachment",
    "auditing.AuditLog",
    "auditing.SystemLog",
    # Money arrives only through billing.services (payment_record, refund_request): decision 0021.
    "billing.Payment",
    "billing.Refund",
    # Job runs are recorded by the jobs themselves; settings change on the system settings page, validated.
    "operations.JobRun",
    "operations.SystemSetting",
}
DEMO_EMAIL = "admin@example.com"
DEMO_PASSWORD = "browser-test-password-42"


@pytest.fixture
def demo_login(settings):
    settings.DEMO_ADMIN_PASSWORD = DEMO_PASSWORD
    call_command("seed_rbac", verbosity=0)
    call_command("create_demo_login", verbosity=0)
    return DEMO_EMAIL, DEMO_PASSWORD


def our_models():
    return sorted(
        (model for model in admin.site._registry if model._meta.app_label not in {"auth", "guardian"}),
        key=lambda model: model._meta.label,
    )


def test_staff_signs_in_and_every_model_page_opens(page, live_server, demo_login, screenshot_dir):
    # given the seeded staff login
    email, password = demo_login
    # when they sign in
    sign_in(page, live_server, email, password)
    # then they land on the overview, which names the product and lists every area
    page.wait_for_selector("h1.page-title")
    assert page.title().endswith("Consulting Back Office")
    for area in AREAS:
        assert page.get_by_role("heading", name=str(area.title)).is_visible()
    page.screenshot(path=screenshot_dir / "home.png", full_page=True)

    # and every model's changelist and add page open without an error
    failures = []
    for model in our_models():
        opts = model._meta
        for view in ("", "add/"):
            url = f"{live_server.url}/admin/{opts.app_label}/{opts.model_name}/{view}"
            response = page.goto(url)
            if view == "add/" and opts.label in NO_ADD_PAGE:
                if response.status != 403:
                    failures.append(f"{url} -> {response.status}, expected 403 (no add page)")
                continue
            if response.status != 200 or page.locator("#content h1").count() == 0:
                failures.append(f"{url} -> {response.status}")
    assert failures == []
    page.goto(f"{live_server.url}/admin/")
    page.screenshot(path=screenshot_dir / "admin-index.png", full_page=True)


def test_a_wrong_password_is_refused_with_a_clear_message(page, live_server, demo_login):
    email, _ = demo_login
    sign_in(page, live_server, email, "not-the-password")
    assert re.search(r"enter the correct email", page.locator(".errornote").inner_text(), re.IGNORECASE)
