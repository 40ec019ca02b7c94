"""The one shell (the admin's) around every page: sidebar, language, error pages, the home page."""

import logging
import re
from datetime import timedelta
from html import unescape

import pytest
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.rbac_catalog import MANAGE_ROLES, VIEW_AUDIT_LOG, VIEW_TICKET
from accounts.tests.factories import UserFactory, staff_holding
from backoffice.navigation import AREAS
from backups.models import BackupStatus
from backups.tests.factories import BackupFactory
from billing.models import RefundStatus
from billing.tests.factories import RefundFactory, refund_processed
from core.log_filters import NotAsset404Filter
from support.models import TicketStatus
from support.tests.factories import SupportTicketFactory

pytestmark = pytest.mark.django_db

AUDIT_LIST = "/staff/audit/"
TICKETS = "/admin/support/supportticket/"


def sidebar(response) -> str:
    html = response.content.decode()
    match = re.search(r'<nav class="sticky" id="nav-sidebar".*?</nav>', html, re.DOTALL)
    assert match, "no sidebar on the page"
    return match.group(0)


def sidebar_areas(response) -> list[str]:
    return re.findall(r'<span class="section">([^<]+)</span>', sidebar(response))


def signed_in(client, user):
    client.force_login(user)
    return client


def test_the_superuser_sees_every_area_in_the_sidebar_of_admin_and_staff_pages(admin_client):
    # when a superuser opens an admin page and a staff page
    pages = [admin_client.get(TICKETS), admin_client.get(AUDIT_LIST)]
    # then both carry the same sidebar listing every area, staff pages included
    for response in pages:
        assert response.status_code == 200
        assert sidebar_areas(response) == [str(area.title).replace("&", "&amp;") for area in AREAS]
        assert 'href="/staff/access/roles/"' in sidebar(response)
        assert 'href="/staff/logs/"' in sidebar(response)


def test_a_narrow_role_sees_only_the_areas_and_pages_it_may_open(client):
    # given staff whose only role lets them view tickets and the audit trail
    user = staff_holding(VIEW_TICKET, VIEW_AUDIT_LOG)
    signed_in(client, user)
    for url in (TICKETS, AUDIT_LIST):
        # when they open an admin page and a staff page
        response = client.get(url)
        # then the sidebar shows just those two areas and pages, the current one marked
        assert response.status_code == 200
        nav = sidebar(response)
        assert sidebar_areas(response) == ["Support desk", "Audit &amp; logs"]
        assert re.findall(r'<th scope="row"><a href="([^"]+)"', nav) == ["/", TICKETS, AUDIT_LIST]
        assert re.search(rf'href="{re.escape(url)}" aria-current="page"', nav)


def test_staff_pages_have_breadcrumbs_to_their_area(admin_client):
    response = admin_client.get(AUDIT_LIST)
    match = re.search(r'<div class="breadcrumbs">(.*?)</div>', response.content.decode(), re.DOTALL)
    assert match
    crumbs = match.group(1)
    assert re.sub(r"\s+", " ", unescape(re.sub(r"<[^>]+>", "", crumbs))).strip() == "Home › Audit & logs › Audit trail"


def test_accept_language_arabic_gives_a_right_to_left_page(admin_client):
    response = admin_client.get("/", headers={"accept-language": "ar"})
    assert '<html lang="ar" dir="rtl">' in response.content.decode()
    # and English stays the default
    assert '<html lang="en' in admin_client.get("/").content.decode()


def test_the_language_switcher_posts_to_set_language(admin_client):
    html = admin_client.get("/").content.decode()
    assert 'action="/i18n/setlang/"' in html
    response = admin_client.post("/i18n/setlang/", {"language": "ar", "next": "/"})
    assert response.status_code == 302
    assert 'dir="rtl"' in admin_client.get("/").content.decode()


def test_staff_with_no_role_are_told_so_and_who_can_grant_access(client):
    # given someone who may grant roles, and a staff member with no role at all
    granter = staff_holding(MANAGE_ROLES, full_name="Grace Granter", email="grace@example.com")
    newcomer = UserFactory(is_staff=True)
    # when the newcomer opens the home page
    response = signed_in(client, newcomer).get("/")
    # then it says they have no access yet and names who can grant it
    html = response.content.decode()
    assert response.status_code == 200
    assert "no back-office access yet" in html
    assert "Grace Granter" in html and granter.email in html


def test_a_signed_in_non_staff_user_gets_the_friendly_403(client):
    staff_holding(MANAGE_ROLES, full_name="Grace Granter")
    response = signed_in(client, UserFactory(is_staff=False)).get("/")
    html = response.content.decode()
    assert response.status_code == 403
    assert 'id="header"' in html and "You may not open this page" in html
    assert "Grace Granter" in html


def test_a_staff_member_refused_a_page_gets_the_403_inside_the_shell(client):
    user = staff_holding(VIEW_TICKET)
    response = signed_in(client, user).get(AUDIT_LIST)
    html = response.content.decode()
    assert response.status_code == 403
    assert 'id="nav-sidebar"' in html and "You may not open this page" in html


def test_an_unknown_page_gets_the_404_inside_the_shell(admin_client):
    response = admin_client.get("/no-such-page/")
    html = response.content.decode()
    assert response.status_code == 404
    assert 'id="header"' in html and 'id="nav-sidebar"' in html
    assert "This page does not exist" in html and 'href="/"' in html


def test_the_500_page_renders_without_touching_the_database():
    # given no database access at all (this test has no database fixture: a query would raise)
    from core.views import server_error

    request = RequestFactory().get("/")
    # when the 500 page is drawn
    response = server_error(request)
    # then it renders, in the shell's colours, with a way back home
    html = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong" in html and 'href="/"' in html and "admin/css/base.css" in html


def test_favicon_ico_is_a_permanent_redirect_to_the_svg(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"].endswith("favicon.svg")


@pytest.mark.parametrize(
    ("path", "kept"),
    [("/static/css/missing.css", False), ("/favicon.ico", False), ("/staff/audit/999/", True)],
)
def test_404s_for_assets_are_kept_out_of_the_system_log(path, kept):
    record = logging.LogRecord("django.request", logging.WARNING, __file__, 1, "Not Found: %s", (path,), None)
    record.status_code = 404
    record.request = RequestFactory().get(path)
    assert NotAsset404Filter().filter(record) is kept


def test_home_counts_what_needs_attention_in_the_areas_the_user_may_view(admin_client):
    # given open, old and closed tickets, pending and done refunds, and backups
    long_ago = timezone.now() - timedelta(days=10)
    SupportTicketFactory.create_batch(2, status=TicketStatus.OPEN)
    late = SupportTicketFactory(status=TicketStatus.IN_PROGRESS)  # its first response is overdue
    type(late).objects.filter(pk=late.pk).update(first_response_due_at=long_ago)
    SupportTicketFactory(status=TicketStatus.CLOSED)
    RefundFactory(status=RefundStatus.REQUESTED)
    RefundFactory(rejected=True)
    refund_processed()
    BackupFactory(status=BackupStatus.FAILED)
    # when a superuser opens the home page
    html = admin_client.get("/").content.decode()
    # then each count is shown with its figure
    counts = dict(
        (label.strip(), value.strip())
        for value, label in re.findall(
            r'<span class="count-value">(.*?)</span>\s*<span class="count-label">(.*?)</span>', html, re.DOTALL
        )
    )
    assert counts["Open tickets"] == "3"
    assert counts["Overdue tickets"] == "1"
    assert counts["Pending refunds"] == "1"
    assert counts["Failed backups (7 days)"] == "1"


def test_home_shows_only_the_counts_of_areas_the_user_may_view(client):
    user = staff_holding(VIEW_TICKET)
    html = signed_in(client, user).get("/").content.decode()
    assert "Open tickets" in html
    assert "Pending refunds" not in html and "Failed backups" not in html and "Audit trail" not in html


def test_the_home_page_query_count_does_not_grow_with_the_data(admin_client):
    # given a first look at the home page
    admin_client.get("/")
    with CaptureQueriesContext(connection) as few:
        admin_client.get("/")
    # when there are many more rows of everything counted
    SupportTicketFactory.create_batch(5)
    RefundFactory.create_batch(3)
    BackupFactory.create_batch(3, status=BackupStatus.FAILED)
    with CaptureQueriesContext(connection) as many:
        admin_client.get("/")
    # then the page asks the database the same number of questions, and few of them
    assert len(many) == len(few)
    assert len(few) <= 12, [q["sql"] for q in few.captured_queries]


def test_a_staff_page_costs_no_more_queries_for_the_shell(admin_client):
    # The sidebar is computed from cached permissions: opening the audit list twice asks the same.
    admin_client.get(AUDIT_LIST)
    with CaptureQueriesContext(connection) as first:
        admin_client.get(AUDIT_LIST)
    with CaptureQueriesContext(connection) as second:
        admin_client.get(AUDIT_LIST)
    assert len(first) == len(second)
