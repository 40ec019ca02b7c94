"""Fixtures for the attachments' S3 path: a real S3-compatible server (moto's standalone server, started as
its own process for the session) and, per test, the two attachment storages switched to django-storages'
``S3Storage`` against a fresh bucket on it.

The server is a separate process reached over HTTP, as a real bucket would be: uploads, listings,
presigned URLs and anonymous reads all cross the network, nothing is patched inside this process.
"""

import importlib.util
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from conftest import service_missing

S3_REGION = "us-east-1"
S3_ACCESS_KEY = "moto-test-access-key"
S3_SECRET_KEY = "moto-test-secret-key"
SERVER_START_SECONDS = 30


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _answers(endpoint: str) -> bool:
    # No proxy: the server is on this machine, whatever HTTP_PROXY the environment names.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(endpoint + "/", timeout=1):
            return True
    except urllib.error.HTTPError:
        return True  # an S3 error document is still an answer
    except OSError:
        return False


def _log_tail(log_path: Path) -> str:
    try:
        return log_path.read_text(errors="replace")[-2000:]
    except OSError:
        return ""


@pytest.fixture(scope="session")
def s3_endpoint(tmp_path_factory):
    """The address (``http://127.0.0.1:<port>``) of a moto S3 server started for this session and stopped at
    its end. Skipped (a failure under ``REQUIRE_SERVICES=1``) when the server cannot start."""
    if importlib.util.find_spec("moto") is None or importlib.util.find_spec("flask") is None:
        service_missing("needs moto's standalone server: pip install 'moto[server]' (requirements-dev.txt)")
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    # The server logs every request: into a file, since an unread pipe would fill up and stall it.
    log_path = tmp_path_factory.mktemp("moto-server") / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 (our own interpreter, fixed arguments)
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while not _answers(endpoint):
            if process.poll() is not None:
                service_missing(f"moto's S3 server exited ({process.returncode}): {_log_tail(log_path)}")
            if time.monotonic() > deadline:
                service_missing(f"moto's S3 server did not answer on {endpoint} within {SERVER_START_SECONDS} s")
            time.sleep(0.1)
        yield endpoint
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass(frozen=True)
class S3Bucket:
    """The test's bucket, read and written behind the application's back (with boto3, not the storages)."""

    name: str
    endpoint: str
    client: Any

    def keys(self) -> set[str]:
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=self.name)
        return {entry["Key"] for page in pages for entry in page.get("Contents", ())}

    def read(self, key: str) -> bytes:
        return self.client.get_object(Bucket=self.name, Key=key)["Body"].read()

    def put(self, key: str, body: bytes) -> None:
        self.client.put_object(Bucket=self.name, Key=key, Body=body)

    def remove(self, key: str) -> None:
        self.client.delete_object(Bucket=self.name, Key=key)

    def readable_by_anyone(self, key: str) -> bool:
        """Whether the object's ACL lets anonymous visitors read it (what S3 checks for an unsigned GET)."""
        grants = self.client.get_object_acl(Bucket=self.name, Key=key)["Grants"]
        return any(
            grant["Grantee"].get("URI") == "http://acs.amazonaws.com/groups/global/AllUsers"
            and grant["Permission"] in {"READ", "FULL_CONTROL"}
            for grant in grants
        )

    def unsigned_url(self, key: str) -> str:
        return f"{self.endpoint}/{self.name}/{quote(key)}"


def s3_storages_setting(storages_setting: dict, *, endpoint: str, bucket_name: str) -> dict:
    """``storages_setting`` with both attachment storages on S3, configured as config/settings/base.py
    configures them when ATTACHMENT_STORAGE=s3 (private: private ACL, presigned for 60 s; public:
    public-read, unsigned), pointed at ``bucket_name`` on ``endpoint``."""
    common = {
        "bucket_name": bucket_name,
        "endpoint_url": endpoint,
        "region_name": S3_REGION,
        "access_key": S3_ACCESS_KEY,
        "secret_key": S3_SECRET_KEY,
        "file_overwrite": False,
        "addressing_style": "path",
    }
    return {
        **storages_setting,
        "attachments_private": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {**common, "default_acl": "private", "querystring_auth": True, "querystring_expire": 60},
        },
        "attachments_public": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {**common, "default_acl": "public-read", "querystring_auth": False},
        },
    }


@pytest.fixture
def s3_bucket(settings, s3_endpoint) -> S3Bucket:
    """Switches the two attachment storages to S3 against a bucket of this test's own on the moto server.

    Changing ``STORAGES`` through pytest-django's ``settings`` fires ``setting_changed``, on which Django
    drops the storages it built (``django.test.signals.storages_changed``): the next
    ``storages["attachments_private"]`` is an ``S3Storage``, and the filesystem ones return when the setting
    is restored after the test (test_s3.py checks both directions).
    """
    # No type stubs for boto3 are installed.
    import boto3
    from botocore.config import Config

    client = boto3.client(
        "s3",
        endpoint_url=s3_endpoint,
        region_name=S3_REGION,
        aws_access_key_id=S3_ACCESS_KEY,
        aws_secret_access_key=S3_SECRET_KEY,
        config=Config(s3={"addressing_style": "path"}),
    )
    bucket = S3Bucket(name=f"attachments-{uuid.uuid4().hex[:16]}", endpoint=s3_endpoint, client=client)
    client.create_bucket(Bucket=bucket.name)
    settings.STORAGES = s3_storages_setting(settings.STORAGES, endpoint=s3_endpoint, bucket_name=bucket.name)
    return bucket
