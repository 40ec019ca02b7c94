"""What a person reads about their own notifications: the in-app inbox, its unread count, their channel choices.

The unread count is drawn in the header of every page, so it is cached per user and costs no query while
warm. The entry is validated against a per-user *generation*, a random token that
``accounts.services.inbox.inbox_changed`` replaces on any change (a notification delivered in the app, one
marked read), at once and again after the change commits. The entry records the generation it was counted
under and is used only while the cache still shows that generation (decision 0025):

* a count taken from the rows as they were before a change committed carries a token the after-commit
  renewal has replaced, so it is never used (deleting the entry instead would let such a late write stand);
* both keys are read in one round trip (``get_many``);
* a write that bypasses the services (the admin, a shell) is seen at the latest when the entry expires
  (``UNREAD_COUNT_TTL_SECONDS``).
"""

from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from accounts.delivery.base import PermanentDeliveryError
from accounts.delivery.phones import phone_e164
from accounts.models import Notification, NotificationChannel, NotificationPreference, NotificationStatus, User
from core.generation_cache import generation_cached
from core.keyset import KeysetPage, keyset_page

# Counting stops here: the header shows "99+" beyond, and a person with thousands unread costs the same.
UNREAD_COUNT_CAP = 100
UNREAD_COUNT_TTL_SECONDS = 5 * 60
# The channels a person may switch off, in the order the preferences page lists them. IN_APP is always on.
SWITCHABLE_CHANNELS = (
    NotificationChannel.EMAIL,
    NotificationChannel.SMS,
    NotificationChannel.WHATSAPP,
    NotificationChannel.PUSH,
)


def unread_generation_key(user_id: int) -> str:
    return f"inbox:generation:{user_id}"


def unread_count_key(user_id: int) -> str:
    return f"inbox:unread:{user_id}"


def inbox_for(*, user: User) -> QuerySet[Notification]:
    """``user``'s inbox: their in-app notifications the delivery job has delivered (SENT), newest first.

    Pending and failed rows and other channels are not in it (a pending one has not been delivered yet).
    Served by the partial index ``accounts_notif_inbox_list_idx``.
    """
    return Notification.objects.filter(
        user=user, channel=NotificationChannel.IN_APP, status=NotificationStatus.SENT
    ).order_by("-created_at", "-id")


def inbox_page(*, user: User, unread_only: bool = False, before: str = "", after: str = "", size: int) -> KeysetPage:
    """A page of ``user``'s inbox (only the unread notifications if ``unread_only``), newest first: the
    notifications after the one of page token ``before``, or the page before the one of token ``after``
    (``core.keyset``). One query, whatever the page. Raises ``BadPageToken`` for a token we did not make.
    """
    rows = inbox_for(user=user).only("title", "body", "created_at", "read_at")
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    return keyset_page(rows, size=size, before=before, after=after)


def inbox_unread_count(*, user: User) -> int:
    """How many notifications of ``user``'s inbox are unread, up to ``UNREAD_COUNT_CAP``.

    From the cache when its entry is current; otherwise one indexed query (``accounts_notif_unread_idx``),
    then cached. See the module's docstring for how a change invalidates it.
    """
    return generation_cached(
        generation_key=unread_generation_key(user.pk),
        value_key=unread_count_key(user.pk),
        compute=lambda: inbox_for(user=user).filter(read_at__isnull=True).order_by()[:UNREAD_COUNT_CAP].count(),
        ttl=UNREAD_COUNT_TTL_SECONDS,
    )


@dataclass(frozen=True)
class ChannelPreference:
    """One channel on the preferences page: whether the person receives it, and where it goes."""

    channel: str
    label: str
    enabled: bool
    always_on: bool
    destination: str  # where messages on this channel go, in words; empty when nowhere
    missing_destination: str  # why nothing can be sent on it (no phone number), else empty


def notification_preferences_for(*, user: User) -> list[ChannelPreference]:
    """Every channel with ``user``'s choice for it (no row: on), the in-app inbox first and always on."""
    stored = dict(NotificationPreference.objects.filter(user=user).values_list("channel", "enabled"))
    labels = dict(NotificationChannel.choices)
    phone_problem = _phone_problem(user.phone)
    where = {
        NotificationChannel.EMAIL: (user.email, ""),
        NotificationChannel.SMS: (user.phone, phone_problem),
        NotificationChannel.WHATSAPP: (user.phone, phone_problem),
        NotificationChannel.PUSH: (_("the devices where you use the app"), ""),
    }
    rows = [
        ChannelPreference(
            channel=NotificationChannel.IN_APP,
            label=str(labels[NotificationChannel.IN_APP]),
            enabled=True,
            always_on=True,
            destination=_("your inbox, on this site"),
            missing_destination="",
        )
    ]
    for channel in SWITCHABLE_CHANNELS:
        destination, missing = where[channel]
        rows.append(
            ChannelPreference(
                channel=channel,
                label=str(labels[channel]),
                enabled=stored.get(channel, True),
                always_on=False,
                destination=destination,
                missing_destination=missing,
            )
        )
    return rows


def _phone_problem(phone: str) -> str:
    """Why SMS and WhatsApp cannot reach ``phone`` (as the gateway would refuse it), or ''."""
    if not phone.strip():
        return _("There is no phone number on your account, so nothing can be sent this way.")
    try:
        phone_e164(phone)
    except PermanentDeliveryError:
        return _(
            "Your phone number %(phone)s is not an international number such as +14155550123, so nothing can be "
            "sent this way."
        ) % {"phone": phone}
    return ""
