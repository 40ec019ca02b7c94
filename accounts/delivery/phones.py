"""Phone numbers as SMS and WhatsApp gateways take them: E.164 (``+`` and 8 to 15 digits)."""

import re

from django.utils.translation import gettext as _

from accounts.delivery.base import PermanentDeliveryError

# What people type between digits: spaces, dashes, dots, brackets.
_SEPARATORS = re.compile(r"[\s\-.()]")
_E164 = re.compile(r"\+[1-9]\d{7,14}")


def phone_e164(phone: str) -> str:
    """``phone`` in E.164 form (``+4930 1234-5678`` -> ``+493012345678``; a leading ``00`` counts as ``+``).

    Raises ``PermanentDeliveryError`` when there is no number, or it is not an international one: no
    retry can make it deliverable, only a corrected profile.
    """
    if not phone.strip():
        raise PermanentDeliveryError(_("The recipient has no phone number."))
    number = _SEPARATORS.sub("", phone)
    if number.startswith("00"):
        number = "+" + number[2:]
    if not _E164.fullmatch(number):
        raise PermanentDeliveryError(
            _("The recipient's phone number %(phone)s is not an international number such as +14155550123.")
            % {"phone": phone[:40]}
        )
    return number
