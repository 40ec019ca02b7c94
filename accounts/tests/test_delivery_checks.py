"""The notification providers in the settings are checked at start-up, not by the first message that fails."""

from django.core import checks

from accounts.checks import console_providers_check, notification_lease_check, notification_providers_check

GATEWAY = "accounts.delivery.gateway.HttpGatewayProvider"


def _ids(messages: list[checks.CheckMessage]) -> list[str]:
    return [message.id or "" for message in messages]


def test_the_development_defaults_pass():
    assert notification_providers_check(None) == []
    assert notification_lease_check(None) == []


def test_a_lease_shorter_than_a_providers_timeout_is_an_error(settings):
    # given e-mail allowed 30 s per message, and a lease of 20 s
    settings.EMAIL_TIMEOUT = 30
    settings.NOTIFICATION_LEASE_SECONDS = 20
    [error] = notification_lease_check(None)
    assert error.id == "accounts.E012" and "EMAIL" in error.msg


def test_a_provider_that_does_not_import_is_an_error(settings):
    settings.NOTIFICATION_PROVIDERS = {
        **settings.NOTIFICATION_PROVIDERS,
        "SMS": {"CLASS": "accounts.delivery.gateway.Carrier", "OPTIONS": {}},
    }
    [error] = notification_providers_check(None)
    assert error.id == "accounts.E010" and "SMS" in error.msg


def test_a_channel_without_a_provider_is_an_error(settings):
    providers = dict(settings.NOTIFICATION_PROVIDERS)
    del providers["PUSH"]
    settings.NOTIFICATION_PROVIDERS = providers
    assert _ids(notification_providers_check(None)) == ["accounts.E010"]


def test_a_gateway_without_its_address_or_token_is_an_error(settings):
    settings.NOTIFICATION_PROVIDERS = {
        **settings.NOTIFICATION_PROVIDERS,
        "WHATSAPP": {"CLASS": GATEWAY, "OPTIONS": {"url": "ftp://gateway.example.com", "token": ""}},
    }
    errors = notification_providers_check(None)
    assert _ids(errors) == ["accounts.E011", "accounts.E011"]
    assert "no http(s) address" in errors[0].msg and "no token" in errors[1].msg


def test_a_deployment_is_warned_of_channels_only_written_to_the_log(settings):
    settings.NOTIFICATION_PROVIDERS = {
        **settings.NOTIFICATION_PROVIDERS,
        "SMS": {"CLASS": GATEWAY, "OPTIONS": {"url": "https://sms.example.com", "token": "t" * 20}},
    }
    warnings = console_providers_check(None)
    assert _ids(warnings) == ["accounts.W010", "accounts.W010"]
    assert [warning.msg.split()[0] for warning in warnings] == ["WHATSAPP", "PUSH"]
