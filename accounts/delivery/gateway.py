"""SMS, WhatsApp and push through an HTTP gateway, or to the log in development.

The gateway contract (one POST per message): a JSON body naming the channel, the recipient (``to``: an
E.164 number for SMS and WhatsApp; ``user_id`` for push, the gateway knowing each user's devices), the
title and the body; ``Authorization: Bearer <token>``; ``Idempotency-Key: <the notification's key>``, the
same on every attempt, so a gateway that already took the message answers with the same id instead of
sending it again. A 2xx answer carries JSON ``{"id": ...}``.
"""

import http.client
import io
import json
import logging
import socket
import urllib.error
import urllib.request
from functools import partial
from typing import Any

from django.utils.translation import gettext as _

from accounts.delivery.base import OutgoingMessage, PermanentDeliveryError, Provider, TransientDeliveryError
from accounts.delivery.deadline import Deadline, DeadlineReader
from accounts.delivery.phones import phone_e164

logger = logging.getLogger(__name__)

# Answers worth another try: the gateway timed out, is rate limiting, or failed on its side (5xx too); or it
# refused our credentials, which staff can correct (a rotated token must not fail every message for good).
RETRYABLE_STATUSES = frozenset({401, 403, 408, 425, 429})
# Enough of an answer to read an id or an error message; a gateway has no business sending more.
MAX_ANSWER_BYTES = 64 * 1024


def recipient(message: OutgoingMessage) -> dict[str, str]:
    """Whom the gateway sends to: a phone number for SMS and WhatsApp, the user for push.

    Raises ``PermanentDeliveryError`` for a missing or malformed phone number.
    """
    if message.channel == "PUSH":
        return {"user_id": str(message.user_id)}
    return {"to": phone_e164(message.phone)}


class ConsoleProvider(Provider):
    """Writes each message to the log instead of sending it: the development default. Phone numbers are still
    checked, so a bad one fails here as it would against a gateway."""

    def send(self, message: OutgoingMessage) -> str:
        address = recipient(message)
        logger.info(
            "%s notification #%s to %s: %s",
            self.channel,
            message.notification_id,
            next(iter(address.values())),
            message.title,
        )
        return f"console:{message.idempotency_key}"


class _RefuseRedirects(urllib.request.HTTPRedirectHandler):
    """Follows no redirect: the 3xx reaches the provider as an ``HTTPError``. Following would re-send the
    request as a GET, with our token and the idempotency key, to wherever the answer points, and could read
    an id from a server that sent nothing."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


class _DeadlineHTTPResponse(http.client.HTTPResponse):
    """Reads the status line, headers and body each ``recv`` bounded by ``deadline``."""

    def __init__(self, sock: socket.socket, *args: Any, deadline: Deadline, **kwargs: Any):
        super().__init__(sock, *args, **kwargs)
        self.fp.close()  # the plain reader made above; this one keeps the socket open as it did
        self.fp = io.BufferedReader(DeadlineReader(sock, deadline))


class _DeadlineConnectionMixin:
    """Connecting, sending and reading the answer all end by ``deadline``."""

    sock: Any
    timeout: float | None
    response_class: type[http.client.HTTPResponse]

    def __init__(self, *args: Any, deadline: Deadline, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.deadline = deadline
        self.response_class = partial(_DeadlineHTTPResponse, deadline=deadline)  # type: ignore[assignment]

    def connect(self) -> None:
        if self.deadline.passed:
            raise TimeoutError("the send's time budget is spent")
        self.timeout = self.deadline.left()
        super().connect()  # type: ignore[misc]

    def send(self, data: Any) -> None:
        if self.sock is None:
            self.connect()
        self.deadline.bound(self.sock)
        super().send(data)  # type: ignore[misc]


class _DeadlineHTTPConnection(_DeadlineConnectionMixin, http.client.HTTPConnection):
    pass


class _DeadlineHTTPSConnection(_DeadlineConnectionMixin, http.client.HTTPSConnection):
    pass


class _DeadlineHTTPHandler(urllib.request.HTTPHandler):
    def __init__(self, deadline: Deadline):
        super().__init__()
        self.deadline = deadline

    def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(partial(_DeadlineHTTPConnection, deadline=self.deadline), req)


class _DeadlineHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self, deadline: Deadline):
        super().__init__()
        self.deadline = deadline

    def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
        return self.do_open(partial(_DeadlineHTTPSConnection, deadline=self.deadline), req)


class HttpGatewayProvider(Provider):
    """Posts each message to a gateway (``url``), authenticated with a bearer ``token``; ``timeout`` seconds
    for the whole exchange (connecting, posting, reading the answer), after which it is abandoned.

    2xx with an id: sent. 401, 403, 408, 425, 429, 5xx, no answer in time, no connection, or an answer
    without an id: ``TransientDeliveryError`` (the idempotency key makes the retry safe even if the gateway did take
    the message). A redirect (3xx) is not followed: ``PermanentDeliveryError`` naming the setting to correct. Any
    other answer: ``PermanentDeliveryError`` with the gateway's own message.
    """

    def __init__(self, *, channel: str, url: str, token: str, timeout: float = 10.0, **options: Any):
        super().__init__(channel=channel, **options)
        if not url.startswith(("https://", "http://")):
            # urllib would also open file: and ftp: addresses; a gateway is only ever reached over HTTP.
            raise ValueError(f"The {channel} gateway's address must start with https:// or http://.")
        self.url = url
        self.token = token
        self.timeout = float(timeout)
        self._deadline = Deadline()
        self._opener = urllib.request.build_opener(
            _RefuseRedirects(), _DeadlineHTTPHandler(self._deadline), _DeadlineHTTPSHandler(self._deadline)
        )

    def send(self, message: OutgoingMessage) -> str:
        payload = {
            "channel": self.channel,
            **recipient(message),
            "title": message.title,
            "body": message.body,
            "reference": str(message.notification_id),
        }
        request = urllib.request.Request(  # noqa: S310 (an http(s) address, checked above)
            self.url,
            data=json.dumps(payload).encode(),
            method="POST",
            headers={
                "Content-Type": "application/json",
                "Accept": "application/json",
                "Authorization": f"Bearer {self.token}",
                "Idempotency-Key": str(message.idempotency_key),
            },
        )
        status, answer = self._exchange(request)
        return self._reference(status, answer)

    def _exchange(self, request: urllib.request.Request) -> tuple[int, bytes]:
        self._deadline.start(self.timeout)
        try:
            with self._opener.open(request, timeout=self.timeout) as response:
                return response.status, response.read(MAX_ANSWER_BYTES)
        except urllib.error.HTTPError as error:
            with error:
                if 300 <= error.code < 400:
                    raise self._redirected(error.code, error.headers.get("Location", "")) from error
                return error.code, error.read(MAX_ANSWER_BYTES)
        except urllib.error.URLError as error:
            if isinstance(error.reason, TimeoutError | socket.timeout):
                raise self._no_answer() from error
            raise TransientDeliveryError(
                _("Could not reach the gateway: %(reason)s.") % {"reason": error.reason}
            ) from error
        except TimeoutError as error:
            raise self._no_answer() from error
        except (http.client.HTTPException, OSError) as error:
            raise TransientDeliveryError(
                _("The connection to the gateway failed: %(reason)s.") % {"reason": error or type(error).__name__}
            ) from error

    def _redirected(self, status: int, location: str) -> PermanentDeliveryError:
        setting = f"{self.channel}_GATEWAY_URL"
        location = " ".join(location.split())[:200]
        if not location:
            return PermanentDeliveryError(
                _("The gateway answered %(status)s (a redirect); check %(setting)s.")
                % {"status": status, "setting": setting}
            )
        return PermanentDeliveryError(
            _("The gateway answered %(status)s (a redirect to %(location)s); check %(setting)s.")
            % {"status": status, "location": location, "setting": setting}
        )

    def _no_answer(self) -> TransientDeliveryError:
        return TransientDeliveryError(
            _("The gateway did not answer within %(seconds)s seconds.") % {"seconds": f"{self.timeout:g}"}
        )

    def _reference(self, status: int, answer: bytes) -> str:
        if 200 <= status < 300:
            reference = _answer_field(answer, "id")
            if not reference:
                raise TransientDeliveryError(
                    _("The gateway answered %(status)s without a message id: %(answer)s")
                    % {"status": status, "answer": _snippet(answer)}
                )
            return reference[:200]
        said = _answer_field(answer, "error", "message", "detail") or _snippet(answer)
        reason = _("The gateway answered %(status)s: %(message)s") % {"status": status, "message": said}
        if status in RETRYABLE_STATUSES or status >= 500:
            raise TransientDeliveryError(reason)
        raise PermanentDeliveryError(reason)


def _answer_field(answer: bytes, *names: str) -> str:
    """The first of ``names`` present in a JSON object ``answer``, as text; empty when there is none."""
    try:
        document = json.loads(answer)
    except ValueError:
        return ""
    if not isinstance(document, dict):
        return ""
    for name in names:
        value = document.get(name)
        if isinstance(value, str | int) and not isinstance(value, bool) and str(value).strip():
            return " ".join(str(value).split())[:300]
        if isinstance(value, dict) and value.get("message"):
            return " ".join(str(value["message"]).split())[:300]
    return ""


def _snippet(answer: bytes) -> str:
    text = " ".join(answer.decode("utf-8", errors="replace").split())
    return (text[:200] + "…") if len(text) > 200 else (text or _("(an empty answer)"))
