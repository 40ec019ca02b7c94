"""In a real browser: staff filter the audit trail, open an event's diff and an entity's history,
verify the chain, and read the system log."""

import pytest
from django.core.management import call_command

from accounts.models import Role, UserRole
from accounts.rbac_catalog import ADMIN
from accounts.tests.factories import UserFactory
from consultants.models import Booking
from core.request_context import RequestContext, bind
from core.tests.browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def auditor(require_postgres):
    call_command("seed_demo", scale=1, verbosity=0, no_progress=True)
    user = UserFactory(is_staff=True, email="compliance@example.com", full_name="Casey Compliance")
    UserRole.objects.create(user=user, role=Role.objects.get(name=ADMIN))
    return user


def test_staff_filter_the_trail_read_a_diff_and_follow_an_entitys_history(page, live_server, auditor, screenshot_dir):
    # given a booking whose status someone changed just now
    booking = Booking.objects.earliest("pk")
    with bind(RequestContext(user=auditor, ip_address="203.0.113.77", user_agent="Firefox/140")):
        Booking.objects.filter(pk=booking.pk).update(notes="Moved to the afternoon at the client's request")

    # when they open the audit trail and filter to updates of bookings
    sign_in(page, live_server, auditor.email, next_url="/staff/audit/")
    page.wait_for_selector("h1.page-title")
    page.screenshot(path=screenshot_dir / "audit-trail.png", full_page=False)
    page.select_option("select[name=action]", "UPDATE")
    page.select_option("select[name=entity_type]", "consultants.booking")
    page.click(".filter-actions button")
    page.wait_for_selector("text=Clear")

    # then only booking updates are listed, the newest first: the one just made
    actions = page.locator(".audit-table tbody td:nth-child(3)").all_inner_texts()
    assert actions and set(actions) == {"UPDATE"}
    first_entity = page.locator(".audit-table tbody tr").first.locator("td:nth-child(4)").inner_text()
    # (named by what it is: its service and client, read for the whole page at once)
    assert first_entity.startswith("Booking · ") and booking.service.title in first_entity
    page.screenshot(path=screenshot_dir / "audit-trail-filtered.png", full_page=False)

    # when they open that event, its diff shows the note before and after
    page.locator(".audit-table tbody tr").first.locator("td:first-child a").click()
    page.wait_for_selector("table.diff")
    assert page.locator("table.diff td.after").first.inner_text() == "Moved to the afternoon at the client's request"
    assert "203.0.113.77" in page.locator(".facts").inner_text()
    page.screenshot(path=screenshot_dir / "audit-event.png", full_page=True)

    # and the booking's full history from its admin page's "History"
    page.goto(f"{live_server.url}/admin/consultants/booking/{booking.pk}/change/")
    page.click("a.historylink")
    page.wait_for_selector(".history-item")
    assert page.locator("h1.page-title").inner_text().startswith(f"History of Booking · {booking.service.title}")
    page.screenshot(path=screenshot_dir / "audit-entity-history.png", full_page=False)

    # and a verification seals what was written and marks the trail intact, beside the sealed head
    page.goto(f"{live_server.url}/staff/audit/")
    page.click("text=Verify now")
    page.wait_for_selector("text=Verified intact")
    assert "Sealed through #" in page.locator(".chain-status").inner_text()
    page.screenshot(path=screenshot_dir / "audit-chain-verified.png", full_page=False)

    # and the system log lists warnings and errors, each opening with its traceback
    page.goto(f"{live_server.url}/staff/logs/")
    page.check("input[name=level][value=ERROR]")
    page.click(".filter-actions button")
    page.wait_for_selector("text=Clear")
    levels = set(page.locator(".log-table tbody .level").all_inner_texts())
    assert levels <= {"ERROR"}
    page.screenshot(path=screenshot_dir / "system-log.png", full_page=False)
    with_traceback = page.locator(".log-table tbody tr", has=page.locator(".badge")).first
    with_traceback.locator("td:first-child a").click()
    page.wait_for_selector("pre.traceback")
    page.screenshot(path=screenshot_dir / "system-log-entry.png", full_page=False)
