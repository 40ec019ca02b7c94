"""The in-app inbox (/account/notifications/): who reaches it, what it lists, marking read, the header's
unread count and what it costs."""

import re
from datetime import timedelta
from html import unescape

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification, NotificationChannel, NotificationStatus
from accounts.notification_selectors import (
    UNREAD_COUNT_CAP,
    inbox_for,
    inbox_unread_count,
    unread_count_key,
    unread_generation_key,
)
from accounts.services.inbox import inbox_changed, notification_mark_read, notifications_mark_all_read
from accounts.tests.factories import NotificationFactory, UserFactory

pytestmark = pytest.mark.django_db

INBOX = "/account/notifications/"
READ_ALL = "/account/notifications/read-all/"


def read_url(notification) -> str:
    return f"/account/notifications/{notification.pk}/read/"


def delivered(user, **fields) -> Notification:
    """An in-app notification for ``user`` as the delivery job leaves it (SENT), announced to the count."""
    created_at = fields.pop("created_at", None)
    notification = NotificationFactory(
        user=user, channel=NotificationChannel.IN_APP, status=NotificationStatus.SENT, sent_at=timezone.now(), **fields
    )
    if created_at is not None:  # auto_now_add ignores a value given on create
        Notification.objects.filter(pk=notification.pk).update(created_at=created_at)
        notification.refresh_from_db()
    inbox_changed([user.pk])
    return notification


@pytest.fixture
def me(client):
    user = UserFactory(is_staff=True, email="me@example.com")
    client.force_login(user)
    return user


def badge(html: str) -> str | None:
    """The header bell's unread number, or None when it shows none."""
    bell = re.search(r'<a class="shell-inbox".*?</a>', html, re.DOTALL)
    assert bell, "no bell in the header"
    count = re.search(r'<span class="shell-inbox-count"[^>]*>([^<]+)</span>', bell.group(0))
    return count.group(1) if count else None


def bell_label(html: str) -> str:
    match = re.search(r'<a class="shell-inbox"[^>]*aria-label="([^"]*)"', html)
    assert match
    return unescape(match.group(1))


def listed_titles(html: str) -> list[str]:
    return [
        unescape(re.sub(r"<[^>]+>", "", title)).replace("Unread: ", "").strip()
        for title in re.findall(r'<h2 class="inbox-title">(.*?)</h2>', html, re.DOTALL)
    ]


def older_token(html: str) -> str:
    """The page token of the page's "Older" link."""
    match = re.search(r'href="\?before=([^"]+)" rel="next"', html)
    assert match, "no link to older notifications"
    return match.group(1)


# Who may open it


@pytest.mark.parametrize("url", [INBOX, "/account/notifications/preferences/"])
def test_anonymous_visitors_and_clients_are_sent_to_sign_in(client, url):
    # when an anonymous visitor opens the page
    response = client.get(url)
    # then they are asked to sign in
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
    # and so is a client (not staff), whose inbox is in the help center
    client.force_login(UserFactory(is_staff=False))
    response = client.get(url)
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))


def test_a_staff_member_sees_only_their_own_delivered_in_app_notifications(client, me):
    # given my delivered in-app notification, and others that are not in my inbox
    mine = delivered(me, title="Your refund request was approved")
    delivered(UserFactory(is_staff=True), title="Someone else's news")
    NotificationFactory(user=me, channel=NotificationChannel.IN_APP, title="Not delivered yet")
    NotificationFactory(
        user=me, channel=NotificationChannel.EMAIL, status=NotificationStatus.SENT, sent_at=timezone.now(), title="Mail"
    )

    # when I open my inbox
    response = client.get(INBOX)

    # then only mine is listed, unread, with its button
    assert response.status_code == 200
    html = response.content.decode()
    assert listed_titles(html) == [mine.title]
    assert 'class="inbox-item unread"' in html
    assert f'action="{read_url(mine)}"' in html


def test_the_list_is_newest_first_and_the_unread_filter_hides_read_ones(client, me):
    # given three notifications, the middle one read
    now = timezone.now()
    oldest = delivered(me, title="Oldest", created_at=now - timedelta(hours=3))
    middle = delivered(me, title="Middle", created_at=now - timedelta(hours=2), read_at=now)
    newest = delivered(me, title="Newest", created_at=now - timedelta(hours=1))

    # then "all" lists them newest first and "unread" leaves out the read one
    assert listed_titles(client.get(INBOX).content.decode()) == [newest.title, middle.title, oldest.title]
    assert listed_titles(client.get(INBOX, {"show": "unread"}).content.decode()) == [newest.title, oldest.title]


def test_the_body_is_escaped_and_keeps_its_line_breaks(client, me):
    # given a notification whose text holds markup and two lines
    delivered(me, title="<img src=x onerror=alert(1)>", body="First line\n<script>alert(1)</script>")

    # when I open my inbox
    html = client.get(INBOX).content.decode()

    # then the markup is shown as text and the lines stay apart
    assert "<img src=x" not in html and "<script>alert(1)" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "First line<br>&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_an_empty_inbox_says_so(client, me):
    html = client.get(INBOX).content.decode()
    assert "No notifications yet." in html
    assert "Mark all as read" not in html
    html = client.get(INBOX, {"show": "unread"}).content.decode()
    assert "You are all caught up." in html


# Marking read


def test_marking_one_read_marks_only_it_and_clears_the_badge(client, me):
    # given two unread notifications, the header counting 2
    first, second = delivered(me, title="First"), delivered(me, title="Second")
    assert badge(client.get(INBOX).content.decode()) == "2"

    # when I mark the first read
    response = client.post(read_url(first), {"show": "unread"})

    # then it is read, the other is not, and I am back on the list I came from, counting 1
    assert response.status_code == 302 and response["Location"] == f"{INBOX}?show=unread"
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None and second.read_at is None
    assert badge(client.get(INBOX).content.decode()) == "1"


def test_marking_read_twice_changes_nothing_the_second_time(client, me):
    # given a notification I marked read
    notification = delivered(me)
    client.post(read_url(notification))
    notification.refresh_from_db()
    first_read = notification.read_at

    # when I mark it again (a second click, a resent form)
    response = client.post(read_url(notification))

    # then it still says when I first read it
    assert response.status_code == 302
    notification.refresh_from_db()
    assert notification.read_at == first_read


def test_someone_elses_or_a_missing_notification_answers_404_and_changes_nothing(client, me):
    # given another person's unread notification, and one of mine not delivered yet
    theirs = delivered(UserFactory(is_staff=True))
    pending = NotificationFactory(user=me, channel=NotificationChannel.IN_APP)

    # when I try to mark them, and ids that name nothing
    answers = [client.post(read_url(theirs)).status_code, client.post(read_url(pending)).status_code]
    for bad in ("0", "999999999", "99999999999999999999", "-1", "abc", "1e9", "٣"):
        answers.append(client.post(f"/account/notifications/{bad}/read/").status_code)
    unreadable = [client.post(f"/account/notifications/{bad}/read/").status_code for bad in ("%00", "%ff")]

    # then each is "not found" (an address with a NUL or that is not UTF-8 is a bad request), nothing marked
    assert answers == [404] * len(answers)
    assert all(status in (400, 404) for status in unreadable), unreadable
    assert Notification.objects.filter(read_at__isnull=False).count() == 0


def test_the_write_addresses_refuse_get(client, me):
    notification = delivered(me)
    assert client.get(read_url(notification)).status_code == 405
    assert client.get(READ_ALL).status_code == 405
    notification.refresh_from_db()
    assert notification.read_at is None


def test_marking_needs_a_signed_in_staff_member(client):
    notification = delivered(UserFactory(is_staff=True))
    response = client.post(read_url(notification))
    assert response.status_code == 302 and response["Location"].startswith(reverse("admin:login"))
    notification.refresh_from_db()
    assert notification.read_at is None


def test_marking_all_read_marks_only_mine(client, me):
    # given three unread of mine (one read already) and one of someone else's
    mine = [delivered(me) for _ in range(3)]
    already = delivered(me, read_at=timezone.now() - timedelta(days=1))
    theirs = delivered(UserFactory(is_staff=True))

    # when I mark all read
    response = client.post(READ_ALL)

    # then mine are read (the old one keeps its time), theirs is not, and the page says how many
    assert response.status_code == 302
    assert Notification.objects.filter(pk__in=[n.pk for n in mine], read_at__isnull=True).count() == 0
    assert Notification.objects.get(pk=already.pk).read_at == already.read_at
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    html = client.get(INBOX).content.decode()
    assert "Marked 3 notifications as read." in html
    assert badge(html) is None
    # and again, with nothing left
    client.post(READ_ALL)
    assert "Nothing was unread." in client.get(INBOX).content.decode()


def test_a_read_only_visit_changes_nothing(client, me):
    notification = delivered(me)
    client.get(INBOX)
    client.get(INBOX, {"show": "unread"})
    notification.refresh_from_db()
    assert notification.read_at is None


def test_the_services_refuse_what_is_not_in_ones_own_inbox():
    # given a person and another person's notification
    me, other = UserFactory(), UserFactory()
    theirs = delivered(other)
    # then marking it as me is refused as "no such notification", and mark-all leaves it alone
    with pytest.raises(Notification.DoesNotExist):
        notification_mark_read(user=me, notification_id=theirs.pk)
    assert notifications_mark_all_read(user=me) == 0
    assert Notification.objects.get(pk=theirs.pk).read_at is None


# Paging and bad page links


def test_pages_follow_each_other_and_a_forged_page_link_shows_the_newest(client, me, monkeypatch):
    # given more notifications than a page holds
    monkeypatch.setattr("accounts.notification_pages.INBOX_PAGE_SIZE", 5)
    now = timezone.now()
    for index in range(12):
        delivered(me, title=f"Note {index:02d}", created_at=now - timedelta(minutes=index))

    # when I follow "Older" twice
    first = client.get(INBOX).content.decode()
    second = client.get(INBOX, {"before": older_token(first)}).content.decode()
    third = client.get(INBOX, {"before": older_token(second)}).content.decode()

    # then every notification is listed once, in order
    titles = listed_titles(first) + listed_titles(second) + listed_titles(third)
    assert titles == [f"Note {index:02d}" for index in range(12)]
    # and a page link we did not make shows the first page with a message
    for forged in ("garbage", "1.2", "-1", "9" * 5000, "1.99999999999999999999"):
        response = client.get(INBOX, {"before": forged})
        assert response.status_code == 200
        assert listed_titles(response.content.decode()) == [f"Note {index:02d}" for index in range(5)]
        assert "That page link is not valid" in response.content.decode()
    assert client.get(INBOX, {"before": "a\x00b"}).status_code == 400  # refused before any view runs


def test_the_inbox_costs_the_same_queries_however_many_notifications(client, me, django_assert_max_num_queries):
    # given a few notifications, the page seen once (the session's "last seen" write happens then)
    for _ in range(3):
        delivered(me)
    client.get(INBOX)
    with CaptureQueriesContext(connection) as captured:
        client.get(INBOX)
    few = [query["sql"] for query in captured.captured_queries]  # now: the next request empties the log

    # when there are many more, read and unread, across pages
    for index in range(60):
        delivered(me, read_at=timezone.now() if index % 2 else None)

    # then the page, and its unread view, ask the database the same number of questions (the unread count
    # is counted again once, after the deliveries)
    client.get(INBOX)
    with django_assert_max_num_queries(len(few)):
        assert client.get(INBOX).status_code == 200
    with django_assert_max_num_queries(len(few)):
        assert client.get(INBOX, {"show": "unread"}).status_code == 200
    assert len(few) <= 5, few


# The header's unread count


def test_the_bell_shows_the_count_on_admin_and_staff_pages_and_nothing_at_zero(admin_client, superuser):
    # given no unread notification, the bell is there without a number
    for url in ("/", "/admin/", "/account/"):
        html = admin_client.get(url).content.decode()
        assert badge(html) is None
        assert bell_label(html) == "Notifications"

    # when two arrive
    delivered(superuser)
    delivered(superuser)

    # then every page's bell says so, in its label too
    for url in ("/", "/admin/", "/admin/accounts/notification/", "/staff/audit/", "/account/"):
        html = admin_client.get(url).content.decode()
        assert badge(html) == "2", url
        assert bell_label(html) == "Notifications: 2 unread"


def test_the_bell_stops_counting_at_99_plus(admin_client, superuser):
    Notification.objects.bulk_create(
        Notification(
            user=superuser,
            title=f"n{index}",
            channel=NotificationChannel.IN_APP,
            status=NotificationStatus.SENT,
            sent_at=timezone.now(),
        )
        for index in range(UNREAD_COUNT_CAP + 20)
    )
    inbox_changed([superuser.pk])
    html = admin_client.get("/").content.decode()
    assert badge(html) == "99+"
    assert bell_label(html) == "Notifications: more than 99 unread"


def test_a_warm_count_costs_no_query_and_a_change_is_seen_at_once(admin_client, superuser):
    # given the count cached by a first page
    delivered(superuser)
    admin_client.get("/account/")

    # when the page is drawn again
    with CaptureQueriesContext(connection) as queries:
        html = admin_client.get("/account/").content.decode()

    # then no query counted notifications, and the count is right
    assert not any("accounts_notification" in query["sql"] for query in queries.captured_queries)
    assert badge(html) == "1"
    # and a notification delivered (announced by the delivery job) shows on the next page
    delivered(superuser)
    assert badge(admin_client.get("/account/").content.decode()) == "2"


def test_a_cold_count_is_one_query():
    me = UserFactory(is_staff=True)
    delivered(me)
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        assert inbox_unread_count(user=me) == 1
    assert len(queries) == 1
    with CaptureQueriesContext(connection) as queries:
        assert inbox_unread_count(user=me) == 1
    assert len(queries) == 0


def test_a_count_taken_before_a_change_is_never_used_after_it():
    # given a request that read the count (0) before a delivery committed
    me = UserFactory()
    assert inbox_unread_count(user=me) == 0
    stale_generation = cache.get(unread_generation_key(me.pk))
    # when the delivery commits and announces itself, and the slow request then stores its old count
    delivered(me)
    cache.set(unread_count_key(me.pk), (stale_generation, 0))
    # then the next reader does not believe it
    assert inbox_unread_count(user=me) == 1


def test_a_count_taken_while_a_change_commits_is_dropped_after_the_commit(django_capture_on_commit_callbacks):
    # given a delivery announced inside its transaction
    me = UserFactory()
    NotificationFactory(
        user=me, channel=NotificationChannel.IN_APP, status=NotificationStatus.SENT, sent_at=timezone.now()
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        inbox_changed([me.pk])
    # when another request, still seeing the rows from before the commit, caches 0 under the new generation
    cache.set(unread_count_key(me.pk), (cache.get(unread_generation_key(me.pk)), 0))
    assert inbox_unread_count(user=me) == 0
    # then the commit's renewal makes the next reader count again
    for callback in callbacks:
        callback()
    assert inbox_unread_count(user=me) == 1


def test_inbox_for_is_the_delivered_in_app_rows():
    me = UserFactory()
    mine = delivered(me)
    NotificationFactory(user=me, channel=NotificationChannel.IN_APP, status=NotificationStatus.PENDING)
    NotificationFactory(user=me, channel=NotificationChannel.IN_APP, status=NotificationStatus.FAILED, error="x")
    assert list(inbox_for(user=me)) == [mine]
