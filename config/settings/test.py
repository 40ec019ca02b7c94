"""Settings for the test suite: fast hashing, isolated media, e-mail kept in memory."""

import tempfile
from pathlib import Path

from config.settings.base import *  # noqa: F403
from config.settings.base import ATTACHMENT_STORAGE, LOGGING, STORAGES, env

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="backoffice-test-media-"))
STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
PRIVATE_MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="backoffice-test-private-media-"))
if ATTACHMENT_STORAGE == "filesystem":
    STORAGES["attachments_private"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(PRIVATE_MEDIA_ROOT), "base_url": None},
    }
# The audit anchor outside the database: each test gets a location of its own (conftest.py), this one is the
# fallback for code running outside a test.
STORAGES["audit_anchor"] = {
    "BACKEND": "django.core.files.storage.FileSystemStorage",
    "OPTIONS": {"location": tempfile.mkdtemp(prefix="backoffice-test-anchor-"), "allow_overwrite": True},
}
# Two keys: the first signs, the second stands for a rotated-out key that still verifies older seals.
AUDIT_SEAL_KEYS = {"test-2026-11": "t" * 40, "test-2025-01": "o" * 40}
WHITENOISE_AUTOREFRESH = True  # serve from the finders; no collectstatic needed

# Tasks run eagerly unless a test starts a real worker (the `celery_worker` fixture switches this off).
CELERY_TASK_ALWAYS_EAGER = True

# Tests attach the system-log handler themselves: a background writer racing each test's transaction
# would only produce noise.
LOGGING = {**LOGGING, "root": {**LOGGING["root"], "handlers": ["console"]}}

# Read by conftest.py and the tests (through django.conf.settings), never from os.environ by hand.
# REQUIRE_SERVICES (set by .ci/run) turns every skip for a missing service or browser into a failure.
REQUIRE_SERVICES = env.bool("REQUIRE_SERVICES", default=False)
# Debian's Chromium, driven by Playwright (never a downloaded browser).
CHROMIUM_PATH = env.str("CHROMIUM_PATH", default="/usr/bin/chromium")
# The hostile-input walk: how many requests it sends, and the seed that makes a failure repeat.
FUZZ_REQUEST_BUDGET = env.int("FUZZ_REQUEST_BUDGET", default=9000)
FUZZ_SEED = env.int("FUZZ_SEED", default=20261128)
