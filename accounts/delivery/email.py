"""E-mail through Django's e-mail backend (SMTP in production), one connection per batch."""

import logging
import smtplib
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.utils.translation import gettext as _

from accounts.delivery.base import OutgoingMessage, PermanentDeliveryError, Provider, TransientDeliveryError

logger = logging.getLogger(__name__)


def message_id(message: OutgoingMessage) -> str:
    """The ``Message-ID`` of a notification's e-mail: derived from its idempotency key, so every attempt
    carries the same one and a copy sent twice (a worker killed after the server took it) is recognisable
    as the same message by the recipient's mail system."""
    sender = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    domain = sender.rpartition("@")[2] or "localhost"
    return f"<notification-{message.idempotency_key}@{domain}>"


class EmailProvider(Provider):
    """Sends through ``settings.EMAIL_BACKEND``. The reference of a sent message is its ``Message-ID``.

    The SMTP server's answer decides the failure: 5xx for the recipient or the message (a refused
    address, content rejected) is permanent; 4xx, a dropped connection, a timeout, or trouble with our
    own sender or credentials (which staff can fix) is transient.
    """

    def __init__(self, *, channel: str, **options: Any):
        super().__init__(channel=channel, **options)
        self.timeout = float(getattr(settings, "EMAIL_TIMEOUT", None) or 30)
        self._connection: BaseEmailBackend | None = None

    def send(self, message: OutgoingMessage) -> str:
        if not message.email:
            raise PermanentDeliveryError(_("The recipient has no e-mail address."))
        reference = message_id(message)
        email = EmailMessage(
            subject=message.title, body=message.body, to=[message.email], headers={"Message-ID": reference}
        )
        try:
            connection = self._open()
            if not connection.send_messages([email]):
                raise TransientDeliveryError(_("The e-mail backend did not send the message."))
        except smtplib.SMTPRecipientsRefused as error:
            code, answer = next(iter(error.recipients.values()))
            reason = _("The mail server refused %(address)s: %(code)s %(answer)s") % {
                "address": message.email,
                "code": code,
                "answer": _text(answer),
            }
            if code >= 500:
                raise PermanentDeliveryError(reason) from error
            raise TransientDeliveryError(reason) from error
        except smtplib.SMTPDataError as error:
            self.close()
            reason = _("The mail server refused the message: %(code)s %(answer)s") % {
                "code": error.smtp_code,
                "answer": _text(error.smtp_error),
            }
            if error.smtp_code >= 500:
                raise PermanentDeliveryError(reason) from error
            raise TransientDeliveryError(reason) from error
        except ValueError as error:  # an address Django cannot put in a header (sanitize_address)
            raise PermanentDeliveryError(
                _("%(address)s is not an e-mail address the mail server can take.") % {"address": message.email}
            ) from error
        except (smtplib.SMTPException, OSError) as error:
            # Our side or the line: a refused sender, bad credentials, a dropped connection, a timeout.
            self.close()
            raise TransientDeliveryError(
                _("Sending the e-mail failed: %(reason)s") % {"reason": _text(str(error)) or type(error).__name__}
            ) from error
        return reference

    def _open(self) -> BaseEmailBackend:
        if self._connection is None:
            connection = get_connection(fail_silently=False)
            connection.open()
            self._connection = connection
        return self._connection

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            connection.close()
        except Exception:  # the connection is gone either way; the next batch opens a new one
            logger.debug("closing the mail connection failed", exc_info=True)


def _text(answer: bytes | str) -> str:
    text = answer.decode("utf-8", errors="replace") if isinstance(answer, bytes) else answer
    return " ".join(text.split())[:300]
