"""The notification preferences page (/account/notifications/preferences/) and its service."""

import re
from html import unescape

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from accounts.models import NotificationChannel, NotificationPreference
from accounts.notification_selectors import notification_preferences_for
from accounts.services.preferences import notification_preferences_set
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PREFERENCES = "/account/notifications/preferences/"
EVERY_CHANNEL_ON = {"email": "on", "sms": "on", "whatsapp": "on", "push": "on"}


@pytest.fixture
def me(client):
    user = UserFactory(is_staff=True, email="me@example.com", phone="+15550001111")
    client.force_login(user)
    return user


def stored(user) -> dict[str, bool]:
    return dict(NotificationPreference.objects.filter(user=user).values_list("channel", "enabled"))


def switches(html: str) -> dict[str, tuple[bool, bool]]:
    """Each channel switch on the page: (ticked, disabled)."""
    found = {}
    for tag in re.findall(r'<input type="checkbox" role="switch"[^>]*>', html):
        name = re.search(r'name="([^"]+)"', tag)
        assert name, tag
        found[name.group(1)] = (" checked" in tag, " disabled" in tag)
    return found


def test_the_page_lists_every_channel_on_by_default_and_where_each_goes(client, me):
    # when I open the page with no choice made yet
    response = client.get(PREFERENCES)

    # then every channel is on, the in-app one cannot be changed, and each says where it goes
    assert response.status_code == 200
    html = unescape(response.content.decode())
    assert switches(html) == {
        "in_app": (True, True),
        "email": (True, False),
        "sms": (True, False),
        "whatsapp": (True, False),
        "push": (True, False),
    }
    assert "me@example.com" in html and "+15550001111" in html
    assert "cannot be switched off" in html


def test_without_a_phone_number_the_page_says_sms_and_whatsapp_go_nowhere(client):
    client.force_login(UserFactory(is_staff=True, phone=""))
    html = unescape(client.get(PREFERENCES).content.decode())
    assert html.count("There is no phone number on your account") == 2


def test_a_phone_number_the_gateway_would_refuse_is_pointed_out(client):
    client.force_login(UserFactory(is_staff=True, phone="12345"))
    html = unescape(client.get(PREFERENCES).content.decode())
    assert html.count("Your phone number 12345 is not an international number") == 2


def test_saving_writes_only_the_changed_channels_and_says_so(client, me):
    # when I switch SMS and push off
    response = client.post(PREFERENCES, {"email": "on", "whatsapp": "on"}, follow=True)

    # then two rows say so, nothing else is written, and the page shows the new state with a message
    assert stored(me) == {"SMS": False, "PUSH": False}
    html = unescape(response.content.decode())
    assert "Your notification preferences are saved." in html
    assert switches(html)["sms"] == (False, False) and switches(html)["email"] == (True, False)

    # and when I switch SMS back on, only that row changes
    client.post(PREFERENCES, {"email": "on", "whatsapp": "on", "sms": "on"})
    assert stored(me) == {"SMS": True, "PUSH": False}


def test_posting_the_inbox_off_leaves_it_on(client, me):
    # The in-app switch is disabled: whatever is posted for it, it stays on.
    response = client.post(PREFERENCES, {**EVERY_CHANNEL_ON, "in_app": ""})
    assert response.status_code == 302
    assert stored(me) == {}
    assert notification_preferences_for(user=me)[0].enabled is True


def test_hostile_values_are_read_as_on_or_off_never_an_error(client, me):
    for value in ("<script>", "a" * 5000, "١", "[]", "0", "false"):
        response = client.post(PREFERENCES, {"email": value})
        assert response.status_code == 302, value
    assert stored(me)["EMAIL"] is False  # the last, "false", is off


def test_the_page_refuses_other_methods(client, me):
    assert client.put(PREFERENCES).status_code == 405


def test_the_service_refuses_to_switch_the_inbox_off_and_writes_nothing():
    me = UserFactory()
    with pytest.raises(ValidationError):
        notification_preferences_set(user=me, enabled={"EMAIL": False, NotificationChannel.IN_APP: False})
    assert stored(me) == {}


def test_the_service_refuses_a_channel_that_does_not_exist():
    me = UserFactory()
    with pytest.raises(ValidationError):
        notification_preferences_set(user=me, enabled={"EMAIL": False, "PIGEON": True})
    assert stored(me) == {}


def test_the_service_returns_what_changed_and_is_idempotent():
    me = UserFactory()
    assert notification_preferences_set(user=me, enabled={"EMAIL": False, "SMS": True}) == ["EMAIL"]
    assert notification_preferences_set(user=me, enabled={"EMAIL": False, "SMS": True}) == []
    assert stored(me) == {"EMAIL": False}


def test_the_database_refuses_an_inbox_switched_off_however_it_is_written():
    me = UserFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        NotificationPreference.objects.create(user=me, channel=NotificationChannel.IN_APP, enabled=False)


def test_one_person_cannot_change_anothers_preferences(client, me):
    # The page has no id to change: a post changes the poster's own choices only.
    other = UserFactory(is_staff=True)
    client.post(PREFERENCES, {"user": other.pk, "email": ""})
    assert stored(other) == {}
    assert stored(me) == {"EMAIL": False, "SMS": False, "WHATSAPP": False, "PUSH": False}
