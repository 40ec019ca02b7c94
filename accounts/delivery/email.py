"""E-mail through Django's e-mail backend (SMTP in production), one connection per batch."""

import io
import logging
import smtplib
from email.utils import parseaddr
from functools import partial
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends import smtp
from django.core.mail.backends.base import BaseEmailBackend
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from accounts.delivery.base import OutgoingMessage, PermanentDeliveryError, Provider, TransientDeliveryError
from accounts.delivery.deadline import Deadline, DeadlineReader, timed_out

logger = logging.getLogger(__name__)


def message_id(message: OutgoingMessage) -> str:
    """The ``Message-ID`` of a notification's e-mail: derived from its idempotency key, so every attempt
    carries the same one and a copy sent twice (a worker killed after the server took it) is recognisable
    as the same message by the recipient's mail system."""
    sender = parseaddr(settings.DEFAULT_FROM_EMAIL)[1]
    domain = sender.rpartition("@")[2] or "localhost"
    return f"<notification-{message.idempotency_key}@{domain}>"


class _DeadlineSMTPMixin:
    """Makes every wait of an ``smtplib.SMTP`` for its server (connecting, sending a command or the message,
    each read of a reply) end by the current send's ``deadline``, however many steps the send takes."""

    sock: Any
    file: Any

    def __init__(self, *args: Any, deadline: Deadline, **kwargs: Any):
        self.deadline = deadline
        super().__init__(*args, **kwargs)

    def _get_socket(self, host: str, port: int, timeout: object) -> Any:
        if self.deadline.passed:
            raise TimeoutError("the send's time budget is spent")
        return super()._get_socket(host, port, self.deadline.left())  # type: ignore[misc]

    def send(self, s: Any) -> None:
        if self.sock:
            try:
                self.deadline.bound(self.sock)
            except TimeoutError as error:  # as smtplib answers a failed send: the connection is done for
                self.close()  # type: ignore[attr-defined]
                raise smtplib.SMTPServerDisconnected(str(error)) from error
        super().send(s)  # type: ignore[misc]

    def getreply(self) -> tuple[int, bytes]:
        if self.file is None and self.sock:
            self.file = io.BufferedReader(DeadlineReader(self.sock, self.deadline))
        return super().getreply()  # type: ignore[misc]


class DeadlineSMTP(_DeadlineSMTPMixin, smtplib.SMTP):
    pass


class DeadlineSMTPSSL(_DeadlineSMTPMixin, smtplib.SMTP_SSL):
    pass


class DeadlineSMTPBackend(smtp.EmailBackend):
    """Django's SMTP backend whose connection keeps to ``deadline`` (restarted by the provider for each send)."""

    def __init__(self, *, deadline: Deadline, **kwargs: Any):
        super().__init__(**kwargs)
        self.deadline = deadline

    @property
    def connection_class(self) -> Any:
        return partial(DeadlineSMTPSSL if self.use_ssl else DeadlineSMTP, deadline=self.deadline)


class EmailProvider(Provider):
    """Sends through ``settings.EMAIL_BACKEND``. The reference of a sent message is its ``Message-ID``.

    ``timeout`` (``EMAIL_TIMEOUT`` unless given) is the budget of one whole send: with Django's SMTP backend
    a send still waiting for the server when it runs out (connecting, logging in, or at any step of the
    exchange) is abandoned, a transient failure. Another backend is trusted to keep to ``EMAIL_TIMEOUT``.

    The SMTP server's answer decides the failure: 5xx for the recipient or the message (a refused
    address, content rejected) is permanent; 4xx, a dropped connection, a timeout, or trouble with our
    own sender or credentials (which staff can fix) is transient.
    """

    def __init__(self, *, channel: str, timeout: float | None = None, **options: Any):
        super().__init__(channel=channel, **options)
        self.timeout = float(timeout or getattr(settings, "EMAIL_TIMEOUT", None) or 30)
        self._deadline = Deadline()
        self._connection: BaseEmailBackend | None = None

    def send(self, message: OutgoingMessage) -> str:
        if not message.email:
            raise PermanentDeliveryError(_("The recipient has no e-mail address."))
        reference = message_id(message)
        email = EmailMessage(
            subject=message.title, body=message.body, to=[message.email], headers={"Message-ID": reference}
        )
        self._deadline.start(self.timeout)
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
            if timed_out(error):
                raise TransientDeliveryError(
                    _("The mail server did not take the message within %(seconds)s seconds.")
                    % {"seconds": f"{self.timeout:g}"}
                ) from error
            raise TransientDeliveryError(
                _("Sending the e-mail failed: %(reason)s") % {"reason": _text(str(error)) or type(error).__name__}
            ) from error
        return reference

    def _open(self) -> BaseEmailBackend:
        if self._connection is None:
            connection = (
                DeadlineSMTPBackend(fail_silently=False, deadline=self._deadline)
                if import_string(settings.EMAIL_BACKEND) is smtp.EmailBackend
                else get_connection(fail_silently=False)
            )
            connection.open()
            self._connection = connection
        return self._connection

    def close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is None:
            return
        self._deadline.start(self.timeout)  # its own budget for QUIT: a send's may be spent
        try:
            connection.close()
        except Exception:  # the connection is gone either way; the next batch opens a new one
            logger.debug("closing the mail connection failed", exc_info=True)


def _text(answer: bytes | str) -> str:
    text = answer.decode("utf-8", errors="replace") if isinstance(answer, bytes) else answer
    return " ".join(text.split())[:300]
