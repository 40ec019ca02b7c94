"""What a provider is given, what it answers, and how a channel's provider is chosen (settings)."""

import uuid
from dataclasses import dataclass
from typing import Any, Self

from django.conf import settings
from django.utils.module_loading import import_string


@dataclass(frozen=True)
class OutgoingMessage:
    """One notification as a provider sees it: who it is for, what it says, and its idempotency key (the
    same on every attempt, so a provider can tell a re-send from a new message)."""

    notification_id: int
    idempotency_key: uuid.UUID
    channel: str
    user_id: int
    email: str
    phone: str
    title: str
    body: str


class DeliveryError(Exception):
    """A message was not delivered; ``reason`` says why, in words staff can act on."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class TransientDeliveryError(DeliveryError):
    """Worth trying again later: the provider was busy, down, slow, or answered something we could not read."""


class PermanentDeliveryError(DeliveryError):
    """Trying again cannot help: the address is refused or is not one, the provider rejected the message."""


class Provider:
    """Sends one channel's messages. Used around a batch (``with provider: provider.send(...)``), so a provider
    may hold a connection open for the batch; ``close`` ends it.

    ``send`` returns the provider's reference for the accepted message, or raises ``TransientDeliveryError``
    or ``PermanentDeliveryError``. Anything else it raises is treated as transient by the delivery job.
    """

    #: The budget of one whole ``send``, in seconds: a send still running when it is spent is abandoned (a
    #: transient failure), not a socket timeout for each step. The delivery job starts no send its lease might
    #: not outlast (``accounts.delivery.deadline``).
    timeout: float = 0.0

    def __init__(self, *, channel: str, **options: Any):
        self.channel = channel

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def send(self, message: OutgoingMessage) -> str:
        raise NotImplementedError

    def close(self) -> None:
        """Ends whatever the batch held open; never raises."""


def provider_for(channel: str) -> Provider:
    """A new provider for ``channel``, as ``settings.NOTIFICATION_PROVIDERS`` names it (class and options)."""
    config = settings.NOTIFICATION_PROVIDERS[channel]
    provider_class = import_string(config["CLASS"])
    return provider_class(channel=channel, **config.get("OPTIONS", {}))
