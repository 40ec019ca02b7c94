"""In a real browser: one shell around admin and staff pages, on a desktop and on a phone, light and
dark, left to right and right to left. Screenshots go to artifacts/screenshots/shell/ for people to
look at."""

import pytest

from accounts.rbac_catalog import MANAGE_ROLES, VIEW_AUDIT_LOG, VIEW_TICKET
from accounts.tests.factories import UserFactory, staff_holding
from core.tests.browser import TEST_PASSWORD, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
PAGES = {
    "home": "/",
    "audit-list": "/staff/audit/",
    "admin-changelist": "/admin/support/supportticket/",
    "404": "/no-such-page/",
}
OVERFLOW = "document.documentElement.scrollWidth <= window.innerWidth"


@pytest.fixture
def shots(screenshot_dir):
    path = screenshot_dir / "shell"
    path.mkdir(parents=True, exist_ok=True)
    return path


def new_page(browser, live_server, *, viewport=DESKTOP, color_scheme="light", locale="en-US"):
    context = browser.new_context(viewport=viewport, color_scheme=color_scheme, locale=locale)
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def sidebar_links(page) -> list[str]:
    return page.locator("#nav-sidebar th[scope=row] a").evaluate_all("links => links.map(a => a.getAttribute('href'))")


def test_the_sidebar_shows_exactly_what_each_user_may_open(browser, live_server, superuser):
    # given a superuser and a staff member with one narrow role
    narrow = staff_holding(VIEW_TICKET, VIEW_AUDIT_LOG, email="narrow@example.com")
    for user, expected in ((narrow, ["/", "/admin/support/supportticket/", "/staff/audit/"]), (superuser, None)):
        page = new_page(browser, live_server)
        sign_in(page, live_server, user.email)
        page.wait_for_selector("h1.page-title")
        for url in ("/admin/support/supportticket/", "/staff/audit/"):
            # when they open an admin page and a staff page
            page.goto(live_server.url + url)
            links = sidebar_links(page)
            # then the sidebar lists what they may open, and marks where they are
            if expected is not None:
                assert links == expected
            else:
                assert {"/staff/access/roles/", "/staff/logs/", "/staff/finance/refunds/"} <= set(links)
            assert page.locator(f'#nav-sidebar a[href="{url}"]').get_attribute("aria-current") == "page"
        page.context.close()


def test_pages_fit_a_phone_and_the_menu_opens_the_navigation(browser, live_server, superuser, shots):
    page = new_page(browser, live_server, viewport=PHONE)
    sign_in(page, live_server, superuser.email)
    page.wait_for_selector("h1.page-title")
    for name in ("home", "audit-list", "admin-changelist"):
        page.goto(live_server.url + PAGES[name])
        # no page is wider than the phone
        assert page.evaluate(OVERFLOW), f"{name} overflows at 390px"
    # the menu button opens the navigation as a drawer, and Escape closes it
    page.goto(live_server.url + "/")
    menu = page.get_by_role("button", name="Menu")
    assert menu.is_visible() and not page.locator("#nav-sidebar").is_visible()
    assert menu.get_attribute("aria-controls") == "nav-sidebar" and menu.get_attribute("aria-expanded") == "false"
    menu.click()
    assert page.locator("#nav-sidebar").is_visible() and menu.get_attribute("aria-expanded") == "true"
    page.screenshot(path=shots / "menu-open-mobile.png")
    page.keyboard.press("Escape")
    assert not page.locator("#nav-sidebar").is_visible() and menu.get_attribute("aria-expanded") == "false"
    # and Sign out is reachable from the user menu
    page.locator("details.shell-user-menu summary").click()
    sign_out = page.get_by_role("button", name="Sign out")
    assert sign_out.is_visible()
    sign_out.click()
    page.wait_for_selector("#id_username")
    page.context.close()


def test_the_dark_theme_sticks_across_a_reload(browser, live_server, superuser):
    page = new_page(browser, live_server)
    sign_in(page, live_server, superuser.email)
    page.wait_for_selector("h1.page-title")
    # the admin's toggle cycles auto -> light -> dark (for a light system preference)
    toggle = page.locator("#header .theme-toggle").first
    for _ in range(3):
        if page.evaluate("document.documentElement.dataset.theme") == "dark":
            break
        toggle.click()
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    page.goto(live_server.url + "/staff/audit/")
    assert page.evaluate("document.documentElement.dataset.theme") == "dark"
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(18, 18, 18)"
    page.context.close()


def test_arabic_is_right_to_left(browser, live_server, superuser, shots):
    page = new_page(browser, live_server, locale="ar")
    sign_in(page, live_server, superuser.email)
    page.wait_for_selector("h1.page-title")
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("html").get_attribute("lang") == "ar"
    page.screenshot(path=shots / "home-ar-desktop.png")
    page.context.close()


def test_a_user_with_no_role_is_told_who_can_grant_access(browser, live_server, shots):
    staff_holding(MANAGE_ROLES, full_name="Grace Granter", email="grace@example.com")
    newcomer = UserFactory(is_staff=True, email="new@example.com")
    page = new_page(browser, live_server)
    sign_in(page, live_server, newcomer.email, TEST_PASSWORD)
    page.wait_for_selector("#no-access-title")
    assert "Grace Granter" in page.locator(".no-access").inner_text()
    page.context.close()


def test_403_and_404_render_inside_the_shell(browser, live_server, shots):
    user = staff_holding(VIEW_TICKET, email="tickets@example.com")
    page = new_page(browser, live_server)
    sign_in(page, live_server, user.email)
    page.wait_for_selector("h1.page-title")
    response = page.goto(live_server.url + "/staff/audit/")
    assert response.status == 403
    assert page.locator("#header").is_visible() and page.locator("#nav-sidebar").is_visible()
    assert page.locator("h1.page-title").inner_text() == "You may not open this page"
    page.screenshot(path=shots / "403-desktop.png")
    response = page.goto(live_server.url + "/no-such-page/")
    assert response.status == 404
    assert page.locator("#header").is_visible() and page.get_by_role("link", name="Back to the overview").is_visible()
    page.context.close()


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
@pytest.mark.parametrize(("size", "viewport"), [("desktop", DESKTOP), ("mobile", PHONE)])
def test_screenshots(browser, live_server, superuser, shots, size, viewport, color_scheme):
    from support.tests.factories import SupportTicketFactory

    SupportTicketFactory.create_batch(3)
    newcomer = UserFactory(is_staff=True, email="norole@example.com", full_name="Nora Newcomer")
    page = new_page(browser, live_server, viewport=viewport, color_scheme=color_scheme)
    sign_in(page, live_server, superuser.email)
    page.wait_for_selector("h1.page-title")
    for name, url in PAGES.items():
        page.goto(live_server.url + url)
        page.screenshot(path=shots / f"{name}-{size}-{color_scheme}.png", full_page=True)
    page.context.close()
    page = new_page(browser, live_server, viewport=viewport, color_scheme=color_scheme)
    sign_in(page, live_server, newcomer.email)
    page.wait_for_selector("#no-access-title")
    page.screenshot(path=shots / f"no-role-{size}-{color_scheme}.png", full_page=True)
    page.context.close()
