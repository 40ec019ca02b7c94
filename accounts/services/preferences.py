"""A person's choice of the channels they are notified on (``NotificationPreference``; no row means on).

Reads are in ``accounts.notification_selectors``. Each row written is recorded by the database's audit
capture, so nothing here writes an audit event by hand.
"""

from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from accounts.models import NotificationChannel, NotificationPreference, User


@transaction.atomic
def notification_preferences_set(*, user: User, enabled: Mapping[str, bool]) -> list[str]:
    """Records ``user``'s choice for each channel named in ``enabled`` (channel value -> on or off); returns
    the channels whose state changed, in the order given.

    Channels not named keep their state. Only changed rows are written (a new row where there was none,
    an update otherwise). Raises ``ValidationError`` (nothing written) for a channel that does not exist
    and for switching the in-app inbox off, which is always on: it is the record of what the person was
    told, and the database refuses it too (``accounts_notifpref_in_app_always_on``).
    """
    unknown = sorted(set(enabled) - set(NotificationChannel.values))
    if unknown:
        raise ValidationError(_("There is no such channel: %(channel)s.") % {"channel": ", ".join(unknown)})
    if enabled.get(NotificationChannel.IN_APP, True) is not True:
        raise ValidationError(
            _("In-app notifications cannot be switched off: your inbox keeps what you were told."), code="in_app"
        )
    # Locks this person's rows, so two saves at once write one after the other.
    stored = dict(
        NotificationPreference.objects.select_for_update().filter(user=user).values_list("channel", "enabled")
    )
    changed = [channel for channel, on in enabled.items() if bool(on) != stored.get(channel, True)]
    for channel in changed:
        NotificationPreference.objects.update_or_create(
            user=user, channel=channel, defaults={"enabled": enabled[channel]}
        )
    return changed
