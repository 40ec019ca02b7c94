"""System checks for the notification providers (``settings.NOTIFICATION_PROVIDERS``): each channel that leaves
the building has a provider class that imports, and a gateway has its address and token. Reported by
``manage.py check`` and at every start-up, rather than by the first notification that fails."""

from django.conf import settings
from django.core import checks
from django.utils.module_loading import import_string

from accounts.delivery.base import Provider, provider_for
from accounts.delivery.gateway import HttpGatewayProvider

CHANNELS = ("EMAIL", "SMS", "WHATSAPP", "PUSH")


def notification_providers_check(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """accounts.E010: a channel without a provider, or a provider class that does not import or is no
    ``Provider``; accounts.E011: an HTTP gateway without an http(s) address or a token."""
    errors: list[checks.CheckMessage] = []
    providers = getattr(settings, "NOTIFICATION_PROVIDERS", {})
    for channel in CHANNELS:
        config = providers.get(channel)
        if not isinstance(config, dict) or "CLASS" not in config:
            errors.append(checks.Error(f"NOTIFICATION_PROVIDERS has no provider for {channel}.", id="accounts.E010"))
            continue
        try:
            provider_class = import_string(config["CLASS"])
        except ImportError as error:
            errors.append(
                checks.Error(
                    f"The {channel} notification provider {config['CLASS']!r} does not import: {error}",
                    hint=f"Set {channel}_PROVIDER to console or http.",
                    id="accounts.E010",
                )
            )
            continue
        if not (isinstance(provider_class, type) and issubclass(provider_class, Provider)):
            errors.append(checks.Error(f"{config['CLASS']!r} is not a notification provider.", id="accounts.E010"))
            continue
        if issubclass(provider_class, HttpGatewayProvider):
            errors += _gateway_errors(channel, config.get("OPTIONS", {}))
    return errors


def _gateway_errors(channel: str, options: dict) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    if not str(options.get("url", "")).startswith(("https://", "http://")):
        errors.append(
            checks.Error(
                f"The {channel} gateway has no http(s) address.",
                hint=f"Set {channel}_GATEWAY_URL, or {channel}_PROVIDER=console.",
                id="accounts.E011",
            )
        )
    if not options.get("token"):
        errors.append(
            checks.Error(
                f"The {channel} gateway has no token.",
                hint=f"Set {channel}_GATEWAY_TOKEN (a secret: from the environment only).",
                id="accounts.E011",
            )
        )
    return errors


def notification_lease_check(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """accounts.E012: ``NOTIFICATION_LEASE_SECONDS`` too short for a provider's timeout. The delivery job starts
    no send its lease might not outlast, so on that channel nothing would ever be sent."""
    from accounts.services.delivery import LEASE_MARGIN_SECONDS

    errors: list[checks.CheckMessage] = []
    for channel in CHANNELS:
        try:
            timeout = provider_for(channel).timeout
        except Exception:  # noqa: S112 (a provider that cannot be set up is accounts.E010/E011's to report)
            continue
        if settings.NOTIFICATION_LEASE_SECONDS <= timeout + LEASE_MARGIN_SECONDS:
            errors.append(
                checks.Error(
                    f"NOTIFICATION_LEASE_SECONDS ({settings.NOTIFICATION_LEASE_SECONDS}) must exceed the {channel} "
                    f"provider's timeout ({timeout:g} s) by more than {LEASE_MARGIN_SECONDS} s, or nothing is sent.",
                    id="accounts.E012",
                )
            )
    return errors


def console_providers_check(app_configs, **kwargs) -> list[checks.CheckMessage]:
    """accounts.W010 (``check --deploy``): a channel whose messages are only written to the log."""
    console = "accounts.delivery.gateway.ConsoleProvider"
    return [
        checks.Warning(
            f"{channel} notifications are only written to the log (the console provider).",
            hint=f"Set {channel}_PROVIDER=http with its gateway, or switch {channel} off on the system settings page.",
            id="accounts.W010",
        )
        for channel in CHANNELS
        if getattr(settings, "NOTIFICATION_PROVIDERS", {}).get(channel, {}).get("CLASS") == console
    ]
