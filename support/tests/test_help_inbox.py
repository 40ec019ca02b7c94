"""The help center's notification pages: a client's own in-app inbox and channel preferences."""

import re
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import Notification, NotificationChannel, NotificationPreference, NotificationStatus, UserStatus
from accounts.services.inbox import inbox_changed
from accounts.tests.factories import NotificationFactory, UserFactory

pytestmark = pytest.mark.django_db

INBOX = "/help/notifications/"
PREFERENCES = "/help/notifications/preferences/"


def delivered(user, **fields) -> Notification:
    notification = NotificationFactory(
        user=user, channel=NotificationChannel.IN_APP, status=NotificationStatus.SENT, sent_at=timezone.now(), **fields
    )
    inbox_changed([user.pk])
    return notification


@pytest.fixture
def client_user(client):
    user = UserFactory(is_staff=False, email="client@example.com", phone="")
    client.force_login(user)
    return user


def help_badge(html: str) -> str | None:
    bell = re.search(r'<a class="help-inbox".*?</a>', html, re.DOTALL)
    assert bell, "no bell in the help center's header"
    count = re.search(r'<span class="help-inbox-count"[^>]*>([^<]+)</span>', bell.group(0))
    return count.group(1) if count else None


def test_signed_out_visitors_are_sent_to_the_help_centers_sign_in(client):
    for url in (INBOX, PREFERENCES):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("help:sign_in"))


def test_a_suspended_client_is_sent_to_sign_in(client):
    user = UserFactory(status=UserStatus.SUSPENDED)
    client.force_login(user)
    assert client.get(INBOX)["Location"].startswith(reverse("help:sign_in"))


def test_a_client_reads_their_own_inbox_and_marks_it_read(client, client_user):
    # given a reply notification of mine and one of someone else's
    mine = delivered(client_user, title="New reply on your ticket SUP-000007", body="Invoice\nshows the wrong amount")
    theirs = delivered(UserFactory(), title="Someone else's")

    # when I open the help center
    html = client.get(reverse("help:home")).content.decode()

    # then the bell counts mine, and the inbox lists only mine
    assert help_badge(html) == "1"
    html = unescape(client.get(INBOX).content.decode())
    assert mine.title in html and theirs.title not in html
    assert "Invoice<br>shows the wrong amount" in html

    # when I mark it read, and try theirs
    assert client.post(f"/help/notifications/{mine.pk}/read/").status_code == 302
    assert client.post(f"/help/notifications/{theirs.pk}/read/").status_code == 404

    # then mine is read, theirs is not, and the bell shows no number
    assert Notification.objects.get(pk=mine.pk).read_at is not None
    assert Notification.objects.get(pk=theirs.pk).read_at is None
    assert help_badge(client.get(reverse("help:home")).content.decode()) is None


def test_marking_all_read_and_get_is_refused(client, client_user):
    delivered(client_user)
    delivered(client_user)
    assert client.get("/help/notifications/read-all/").status_code == 405
    response = client.post("/help/notifications/read-all/", follow=True)
    assert "Marked 2 notifications as read." in response.content.decode()
    assert not Notification.objects.filter(user=client_user, read_at__isnull=True).exists()


def test_the_inbox_costs_the_same_queries_however_many_notifications(client, client_user):
    delivered(client_user)
    client.get(INBOX)
    with CaptureQueriesContext(connection) as captured:
        client.get(INBOX)
    few = len(captured)
    for _ in range(40):
        delivered(client_user)
    client.get(INBOX)  # the unread count is counted again once, after the deliveries
    with CaptureQueriesContext(connection) as captured:
        assert client.get(INBOX).status_code == 200
    assert len(captured) == few


def test_a_client_saves_their_preferences_and_sees_they_have_no_phone_number(client, client_user):
    # when I open the page
    html = unescape(client.get(PREFERENCES).content.decode())
    # then it says where each channel goes
    assert "client@example.com" in html
    assert html.count("There is no phone number on your account") == 2

    # when I switch e-mail off
    response = client.post(PREFERENCES, {"sms": "on", "whatsapp": "on", "push": "on"}, follow=True)

    # then it is saved, with a message, and the inbox stays on
    assert "Your notification preferences are saved." in response.content.decode()
    assert dict(NotificationPreference.objects.filter(user=client_user).values_list("channel", "enabled")) == {
        "EMAIL": False
    }
