"""Real servers for the delivery tests: an SMTP server and an HTTP gateway, each in a process of its own.

Each is started once per test session (``smtp_server_process``, ``gateway_process``); the per-test
fixtures (``smtp_server``, ``gateway``) forget what earlier tests sent and point the settings at them.
"""

import json
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
GATEWAY_TOKEN = "gateway-test-token-0123456789"


def start_server(script: str, *arguments: str) -> tuple[subprocess.Popen, int]:
    """Starts ``script`` (a server of this folder) with ``arguments``; returns the process and its port."""
    process = subprocess.Popen(  # noqa: S603 (our own script, with our own arguments)
        [sys.executable, str(HERE / script), *arguments], stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line.strip().isdigit():
        process.kill()
        raise RuntimeError(f"{script} did not start: {line!r}")
    return process, int(line)


def stop_server(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        process.kill()


@dataclass
class SmtpServer:
    port: int
    record: Path

    def received(self) -> list[dict]:
        """Every message the server accepted since the test began, oldest first."""
        return [json.loads(line) for line in self.record.read_text(encoding="utf-8").splitlines()]


@dataclass
class Gateway:
    port: int
    token: str = GATEWAY_TOKEN

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/messages"

    def _post(self, path: str, payload: object) -> None:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", data=json.dumps(payload).encode(), method="POST"
        )
        urllib.request.urlopen(request, timeout=5).close()  # noqa: S310 (the test gateway)

    def script(self, *actions: dict) -> None:
        """What the next requests get, in order (see gateway_server.py)."""
        self._post("/_script", list(actions))

    def reset(self) -> None:
        self._post("/_reset", {})

    def log(self) -> dict:
        with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/_log", timeout=5) as response:
            return json.loads(response.read())

    def requests(self) -> list[dict]:
        return self.log()["requests"]

    def effects(self) -> dict[str, str]:
        """Messages the gateway sent, by idempotency key."""
        return self.log()["effects"]


@pytest.fixture(scope="session")
def smtp_server_process(tmp_path_factory) -> Iterator[SmtpServer]:
    record = tmp_path_factory.mktemp("smtp") / "received.jsonl"
    record.touch()
    process, port = start_server("smtp_server.py", str(record))
    yield SmtpServer(port, record)
    stop_server(process)


@pytest.fixture
def smtp_server(smtp_server_process, settings) -> SmtpServer:
    """The SMTP server, with nothing received yet, as the e-mail backend of this test."""
    smtp_server_process.record.write_text("", encoding="utf-8")
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_server_process.port
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5
    return smtp_server_process


@pytest.fixture(scope="session")
def gateway_process() -> Iterator[Gateway]:
    process, port = start_server("gateway_server.py", GATEWAY_TOKEN)
    yield Gateway(port)
    stop_server(process)


def gateway_providers(gateway: Gateway, *, timeout: float = 1.0, token: str | None = None) -> dict:
    """``NOTIFICATION_PROVIDERS`` with SMS, WhatsApp and push sent to ``gateway``."""
    from django.conf import settings

    options = {"url": gateway.url, "token": token or gateway.token, "timeout": timeout}
    http = {"CLASS": "accounts.delivery.gateway.HttpGatewayProvider", "OPTIONS": options}
    return {**settings.NOTIFICATION_PROVIDERS, "SMS": http, "WHATSAPP": http, "PUSH": http}


@pytest.fixture
def gateway(gateway_process, settings) -> Gateway:
    """The HTTP gateway, with nothing received or scripted, as this test's SMS, WhatsApp and push provider;
    retries wait one second at most."""
    gateway_process.reset()
    settings.NOTIFICATION_PROVIDERS = gateway_providers(gateway_process)
    settings.NOTIFICATION_RETRY_BASE_SECONDS = 1
    settings.NOTIFICATION_RETRY_MAX_SECONDS = 1
    return gateway_process
