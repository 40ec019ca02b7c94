"""In a real browser, the Content-Security-Policy blocks nothing the product itself needs.

The policy allows no inline script. Every page that has behaviour (the admin's autocompletes, date
pickers and actions, the role matrix's select-all, the permission chooser) must work under it, and no
page may trip it: each violation the browser reports is a bug in a template.
"""

import pytest
from django.core.management import call_command

from accounts.models import Role, UserRole
from accounts.rbac_catalog import ADMIN, SUPER_ADMIN
from accounts.tests.factories import UserFactory
from core.tests.browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PAGES = (
    "/",
    "/admin/",
    "/admin/consultants/booking/",
    "/admin/consultants/booking/add/",
    "/admin/consultants/consultant/add/",
    "/admin/accounts/user/",
    "/staff/access/roles/",
    "/staff/access/permissions/holders/",
    "/staff/audit/",
    "/staff/logs/",
)

VIOLATIONS_SCRIPT = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.__cspViolations.push(event.violatedDirective + " " + (event.blockedURI || "inline") + " @" + event.lineNumber);
});
"""


@pytest.fixture
def super_admin():
    call_command("seed_rbac", verbosity=0)
    user = UserFactory(is_staff=True, email="csp@example.com")
    UserRole.objects.create(user=user, role=Role.objects.get(name=SUPER_ADMIN))
    return user


def violations_on(page, url: str) -> list[str]:
    page.goto(url)
    page.wait_for_load_state("load")
    return page.evaluate("window.__cspViolations")


def test_no_page_trips_the_content_security_policy(page, live_server, super_admin, screenshot_dir):
    # given a SUPER_ADMIN signed in, with every page reporting policy violations
    page.add_init_script(VIOLATIONS_SCRIPT)
    console = []
    page.on("console", lambda message: console.append(message.text))
    sign_in(page, live_server, super_admin.email)
    page.wait_for_selector("h1.page-title")
    role = Role.objects.get(name=ADMIN)

    # when they open every kind of page that carries behaviour
    found = {}
    for path in (*PAGES, f"/staff/access/roles/{role.pk}/"):
        if blocked := violations_on(page, f"{live_server.url}{path}"):
            found[path] = blocked

    # then the browser blocked nothing, and said nothing about the policy
    assert found == {}
    assert [line for line in console if "Content Security Policy" in line] == []


def test_the_role_matrix_select_all_works_under_the_policy(page, live_server, super_admin, screenshot_dir):
    # given a custom role, opened by a SUPER_ADMIN
    role = Role.objects.create(name="AUDITORS")
    sign_in(page, live_server, super_admin.email)
    page.wait_for_selector("h1.page-title")
    page.goto(f"{live_server.url}/staff/access/roles/{role.pk}/")

    # when they tick "all" on the audit log's row
    row = page.locator("tr[data-resource='auditing.auditlog']")
    row.locator(".select-row").check()

    # then every permission of that row that may be granted is ticked by the page's script
    boxes = row.locator("input[name=permission]:not([disabled])")
    assert boxes.count() > 0
    assert all(boxes.nth(index).is_checked() for index in range(boxes.count()))
    page.screenshot(path=screenshot_dir / "role-matrix-csp.png", full_page=True)


def test_choosing_a_permission_lists_its_holders_under_the_policy(page, live_server, super_admin):
    sign_in(page, live_server, super_admin.email)
    page.wait_for_selector("h1.page-title")
    page.goto(f"{live_server.url}/staff/access/permissions/holders/")

    option = page.locator("select[name=permission] option", has_text="accounts.manage_roles")
    page.select_option("select[name=permission]", value=option.get_attribute("value"))

    page.wait_for_url("**permission=*")
    assert "csp@example.com" in page.content()
