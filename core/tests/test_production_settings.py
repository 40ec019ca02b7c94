"""Production settings refuse to start without their secrets and services, and pass Django's deployment checks."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    # Only what each test passes: none of the developer's or CI's own configuration leaks in.
    inherited = ("DJANGO_", "DATABASE_", "REDIS_", "CELERY_", "AUDIT_")
    clean = {key: value for key, value in os.environ.items() if not key.startswith(inherited)}
    clean.update(DJANGO_SETTINGS_MODULE="config.settings.production", **env)
    return subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=60
    )


def test_production_refuses_to_start_without_a_secret_key():
    result = run_manage("check")
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


PRODUCTION_ENVIRONMENT = {
    "DJANGO_ALLOWED_HOSTS": "backoffice.example.com",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/backoffice",
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/1",
    # Made now, written nowhere: the audit seals' signing key and a rotated-out one.
    "AUDIT_SEAL_KEYS": f"2026-11:{secrets.token_urlsafe(32)},2026-01:{secrets.token_urlsafe(32)}",
    # Every channel sent through a gateway: the console provider only logs, which check --deploy warns of.
    **{
        variable: value
        for channel in ("SMS", "WHATSAPP", "PUSH")
        for variable, value in (
            (f"{channel}_PROVIDER", "http"),
            (f"{channel}_GATEWAY_URL", f"https://{channel.lower()}-gateway.example.com/messages"),
            (f"{channel}_GATEWAY_TOKEN", secrets.token_urlsafe(24)),
        )
    },
}


def deploy_check(secret_key: str) -> subprocess.CompletedProcess:
    return run_manage(
        "check", "--deploy", "--fail-level", "WARNING", DJANGO_SECRET_KEY=secret_key, **PRODUCTION_ENVIRONMENT
    )


def test_production_passes_the_deployment_checks_with_a_real_key():
    # A key made now is written nowhere in the repository.
    result = deploy_check(secrets.token_urlsafe(50))
    assert result.returncode == 0, result.stdout + result.stderr


def development_key() -> str:
    from config.settings import base

    return base.SECRET_KEY


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        (development_key(), "written in the repository (config/settings/base.py)"),
        (secrets.token_urlsafe(20), "use at least 50"),
        ("ab" * 40, "repeats too few characters"),
        ("django-insecure-" + secrets.token_urlsafe(50), "development key"),
        # A key committed anywhere (here: in this very test) is public, however random it looks.
        ("kq3V9x-committed-in-a-test-file-wZ7p2LmN8rT4yB6cD1fG5hJ0sA", "written in the repository"),
    ],
)
def test_production_refuses_a_key_that_is_not_secret(key, reason):
    result = deploy_check(key)

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY is not fit for production" in result.stderr
    assert reason in result.stderr


@pytest.mark.parametrize("variable", ["CELERY_BROKER_URL", "REDIS_URL"])
@pytest.mark.parametrize("value", [None, ""], ids=["unset", "empty"])
def test_production_refuses_to_start_without_its_shared_services(variable, value):
    # given an otherwise complete production environment without a broker (or without the shared cache),
    # where tasks would run inside web requests and no periodic job would ever run (or each process
    # would keep its own cache and never see another's permission changes)
    environment = {key: val for key, val in PRODUCTION_ENVIRONMENT.items() if key != variable}
    if value is not None:
        environment[variable] = value

    # when it starts
    result = run_manage("check", DJANGO_SECRET_KEY=secrets.token_urlsafe(50), **environment)

    # then it stops at once, naming what is missing
    assert result.returncode != 0
    assert f"Set the {variable} environment variable" in result.stderr


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        (None, "Set the AUDIT_SEAL_KEYS environment variable"),
        ("", "Set the AUDIT_SEAL_KEYS environment variable"),
        ("2026-11:too-short", "each secret at least 32 characters"),
        ("no-key-id-only-a-secret-" + "x" * 32, '"key_id:secret" pairs'),
        (f":{'x' * 40}", '"key_id:secret" pairs'),
    ],
    ids=["unset", "empty", "short", "no id", "empty id"],
)
def test_production_refuses_audit_seal_keys_that_cannot_protect_the_trail(keys, message):
    environment = {**PRODUCTION_ENVIRONMENT, "DJANGO_SECRET_KEY": secrets.token_urlsafe(50)}
    environment.pop("AUDIT_SEAL_KEYS")
    if keys is not None:
        environment["AUDIT_SEAL_KEYS"] = keys

    result = run_manage("check", **environment)

    assert result.returncode != 0
    assert message in result.stderr
