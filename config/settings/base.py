"""Settings shared by every environment.

Everything that differs between machines comes from environment variables, read once here through
django-environ. Django's own variables carry the ``DJANGO_`` prefix; services keep their usual names
(``DATABASE_URL``, ``CELERY_BROKER_URL``, ``REDIS_URL``).
"""

from decimal import Decimal
from pathlib import Path
from typing import Any

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

PRODUCT_NAME = env.str("PRODUCT_NAME", default="Consulting Back Office")

SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="dev-insecure-key-change-me-in-production-0123456789")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "core.admin_site.BackOfficeAdminConfig",  # django.contrib.admin with our site class
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_filters",
    "guardian",
    "axes",
    "accounts",
    "consultants",
    "billing",
    "support",
    "attachments",
    "auditing",
    "analytics",
    "backups",
    "operations",
    # The product assembled (seeding, navigation, the staff overview, search across the apps): imports
    # every app above.
    "search",
    "backoffice",
    "core",
]
# The project's own apps holding domain models: their models get permissions (RBAC catalog) and
# automatic audit capture (auditing.capture).
DOMAIN_APPS = (
    "accounts",
    "consultants",
    "billing",
    "support",
    "attachments",
    "auditing",
    "analytics",
    "backups",
    "operations",
)

MIDDLEWARE = [
    "core.security_middleware.RejectControlCharactersMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_permissions_policy.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After sessions (it reads the language chosen with set_language) and before CommonMiddleware.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "core.security_middleware.StaffSessionMiddleware",
    # After the session checks: records when each live session was last seen (at most once a minute).
    "accounts.session_tracking.SessionActivityMiddleware",
    # Times shown in the zone the viewer's browser names (the "tz" cookie).
    "core.time_zones.ViewerTimeZoneMiddleware",
    "core.request_context.RequestContextMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes requires: turns a lockout raised during authentication into its response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.product",
                "backoffice.context_processors.navigation",
                "backoffice.context_processors.admin_shell",
                "backoffice.context_processors.inbox",
            ],
        },
    },
]

# SQLite when DATABASE_URL is unset: the embedded default for a first run; PostgreSQL in production.
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DJANGO_CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True


def with_session_settings(database: dict) -> dict:
    """``database`` with the session settings every connection of ours starts with.

    PostgreSQL: ``parallel_setup_cost`` at ten times PostgreSQL's default: starting parallel workers costs
    several milliseconds, which the default prices like reading a few hundred pages. With it, a page's
    ``LIMIT``ed walk along an index (a search matching many people, decision 0006) was planned in parallel
    and took 4x as long as alone (14-17 ms against 3.8 ms at 1M bookings); large scans and aggregates still
    go parallel.

    SQLite (``make run`` without DATABASE_URL, where the web server, a worker and beat write one file):
    transactions take the write lock when they begin (IMMEDIATE), so two that read and then write wait for
    each other instead of one failing at once with "database is locked"; a writer waits up to 20 s for the
    lock; WAL lets pages be read while a job writes.
    """
    engine = database.get("ENGINE", "")
    options = database.setdefault("OPTIONS", {})
    if "postgresql" in engine:
        options["options"] = f"{options.get('options', '')} -c parallel_setup_cost=10000".strip()
    elif "sqlite3" in engine:
        options.setdefault("transaction_mode", "IMMEDIATE")
        options.setdefault("timeout", 20)
        options.setdefault("init_command", "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;")
    return database


DATABASES["default"] = with_session_settings(DATABASES["default"])
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
# auth.W004 asks for `unique=True` on the e-mail field; ours is unique regardless of case through a
# functional constraint (accounts_user_email_ci_unique), which is stricter.
SILENCED_SYSTEM_CHECKS = ["auth.W004"]
AUTHENTICATION_BACKENDS = [
    # First, so every sign-in path (admin, staff pages, help center) is refused while locked out.
    "axes.backends.AxesStandaloneBackend",
    "accounts.backends.EmailBackend",
    "guardian.backends.ObjectPermissionBackend",
]
LOGIN_URL = "admin:login"
# Where people who are not staff sign in: the help center (support.help_views).
CLIENT_LOGIN_URL = "help:sign_in"
LOGIN_REDIRECT_URL = "backoffice:home"
LOGOUT_REDIRECT_URL = "admin:login"

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Outgoing e-mail (password resets, notifications): SMTP from the environment. Development prints
# messages to the console (config.settings.local); tests keep them in memory or use a real SMTP server.
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=10)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Back office <no-reply@localhost>")

# A password reset link works once, within this many seconds of being sent.
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_TIMEOUT", default=60 * 60)
# The longest reply or note on a ticket, in characters; more belongs in an attached file.
SUPPORT_COMMENT_MAX_LENGTH = 20_000
# A RESOLVED ticket the client has not answered for this many days is closed by the nightly job.
SUPPORT_AUTO_CLOSE_DAYS = env.int("SUPPORT_AUTO_CLOSE_DAYS", default=7)
# Service levels (support.sla; decision 0020). The desk's week, in its own time zone: days and opening
# hours such as "mon-fri 09:00-17:30; sat 10:00-13:00" (days in the SupportHoliday table are off).
SUPPORT_TIME_ZONE = env.str("SUPPORT_TIME_ZONE", default=env.str("DJANGO_TIME_ZONE", default="UTC"))
SUPPORT_BUSINESS_HOURS = env.str("SUPPORT_BUSINESS_HOURS", default="mon-fri 09:00-17:00")
# Per priority, the business hours allowed until the first reply the client sees, and until resolution
# (time waiting on the client does not count).
SUPPORT_SLA_FIRST_RESPONSE_HOURS = env.dict(
    "SUPPORT_SLA_FIRST_RESPONSE_HOURS",
    cast={"value": float},
    default={"URGENT": 1.0, "HIGH": 4.0, "MEDIUM": 8.0, "LOW": 24.0},
)
SUPPORT_SLA_RESOLUTION_HOURS = env.dict(
    "SUPPORT_SLA_RESOLUTION_HOURS",
    cast={"value": float},
    default={"URGENT": 8.0, "HIGH": 24.0, "MEDIUM": 40.0, "LOW": 80.0},
)
# A ticket whose next deadline is this many business minutes away or less is "at risk" on the queue.
SUPPORT_SLA_AT_RISK_MINUTES = env.int("SUPPORT_SLA_AT_RISK_MINUTES", default=120)

# Sessions: signed out after SESSION_IDLE_TIMEOUT_SECONDS without a request, and in any case
# SESSION_ABSOLUTE_TIMEOUT_SECONDS after signing in (core.security_middleware.StaffSessionMiddleware).
SESSION_IDLE_TIMEOUT_SECONDS = env.int("SESSION_IDLE_TIMEOUT_SECONDS", default=30 * 60)
SESSION_ABSOLUTE_TIMEOUT_SECONDS = env.int("SESSION_ABSOLUTE_TIMEOUT_SECONDS", default=12 * 60 * 60)
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_TIMEOUT_SECONDS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# Content-Security-Policy (django-csp): our own origin only, and no inline script at all. Pages put
# their behaviour in static files; a page that truly needs an inline script marks it with
# ``nonce="{{ request.csp_nonce }}"``.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
# Browser features no back-office page uses are switched off for every page.
PERMISSIONS_POLICY: dict[str, list[str]] = {
    feature: []
    for feature in (
        "accelerometer",
        "camera",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "payment",
        "usb",
        "interest-cohort",
    )
}
SECURE_REFERRER_POLICY = "same-origin"

LANGUAGE_CODE = "en-us"
# English is the default; a browser asking for Arabic (Accept-Language) or a choice made with the
# language switcher (django.views.i18n.set_language) gets Arabic, right to left. No URL prefixes.
LANGUAGES = [("en", _("English")), ("ar", _("Arabic"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.str("DJANGO_TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("DJANGO_MEDIA_ROOT", default=str(BASE_DIR / "media")))
# Private attachments: a folder no web server serves (never under MEDIA_ROOT); read only through the
# permission-checked download view (attachments.views).
PRIVATE_MEDIA_ROOT = Path(env.str("DJANGO_PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "var" / "private-media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
    # The audit trail's sealed head, kept away from the database it vouches for (auditing.anchor): in
    # production another disk, host or bucket than the database's.
    "audit_anchor": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {
            "location": env.str("AUDIT_ANCHOR_ROOT", default=str(BASE_DIR / "var" / "audit-anchor")),
            "allow_overwrite": True,
        },
    },
}

# --- Attachments (docs/decisions/0019-attachments.md) ---
# Where files are stored: "filesystem" (public files under MEDIA_ROOT, private ones under
# PRIVATE_MEDIA_ROOT) or "s3" (django-storages: private objects through short-lived presigned URLs,
# public ones readable by anyone). attachments.storage routes each stored name to one of the two.
ATTACHMENT_STORAGE = env.str("ATTACHMENT_STORAGE", default="filesystem")
if ATTACHMENT_STORAGE == "s3":
    _s3 = {
        "bucket_name": env.str("AWS_STORAGE_BUCKET_NAME", default=""),
        "endpoint_url": env.str("AWS_S3_ENDPOINT_URL", default="") or None,
        "region_name": env.str("AWS_S3_REGION_NAME", default="") or None,
        "access_key": env.str("AWS_ACCESS_KEY_ID", default="") or None,
        "secret_key": env.str("AWS_SECRET_ACCESS_KEY", default="") or None,
        "file_overwrite": False,
        # Presigned URLs signed the current way (SigV4), with their lifetime in X-Amz-Expires.
        "signature_version": "s3v4",
        "addressing_style": env.str("AWS_S3_ADDRESSING_STYLE", default="") or None,
    }
    STORAGES["attachments_private"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        # Presigned URLs live this many seconds: enough to start the download, too short to pass around.
        "OPTIONS": {**_s3, "default_acl": "private", "querystring_auth": True, "querystring_expire": 60},
    }
    STORAGES["attachments_public"] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {**_s3, "default_acl": "public-read", "querystring_auth": False},
    }
else:
    STORAGES["attachments_private"] = {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        # No base_url: a private file has no address of its own.
        "OPTIONS": {"location": str(PRIVATE_MEDIA_ROOT), "base_url": None},
    }
    STORAGES["attachments_public"] = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
# What each owner type accepts: the largest file, and the types (decided from the content, never from the
# name or the browser's claim; attachments.file_types lists what each is). "default" covers the others.
_IMAGES = ["image/jpeg", "image/png", "image/gif", "image/webp"]
_DOCUMENTS = [
    "application/pdf",
    "text/plain",
    "text/csv",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
]
_MB = 1024 * 1024
ATTACHMENT_UPLOAD_RULES = {
    "default": {"max_bytes": env.int("ATTACHMENT_MAX_BYTES", default=25 * _MB), "types": _IMAGES + _DOCUMENTS},
    "USER": {"max_bytes": 5 * _MB, "types": [*_IMAGES, "application/pdf"]},
    "ARTICLE": {"max_bytes": 10 * _MB, "types": [*_IMAGES, "application/pdf"]},
    "MESSAGE": {"max_bytes": 10 * _MB, "types": _IMAGES + _DOCUMENTS},
}
# Images larger than this many pixels are refused before they are decoded (decompression bombs).
ATTACHMENT_MAX_IMAGE_PIXELS = env.int("ATTACHMENT_MAX_IMAGE_PIXELS", default=40_000_000)
# The thumbnail's bounding box, in pixels.
ATTACHMENT_THUMBNAIL_SIZE = (320, 320)
# The sweeper leaves stored objects younger than this alone: an upload stores its file a moment before
# its row commits.
ATTACHMENT_SWEEP_GRACE_SECONDS = env.int("ATTACHMENT_SWEEP_GRACE_SECONDS", default=6 * 60 * 60)
# --- end of attachments ---

# Cache: Redis when REDIS_URL is set (shared across processes), otherwise per-process memory.
REDIS_URL = env.str("REDIS_URL", default="")
# Keys carry the database's name, so several databases (tests, benchmarks, a restore) sharing one Redis
# never read each other's cached permissions.
CACHE_KEY_PREFIX = f"bo:{DATABASES['default']['NAME']}"
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "KEY_PREFIX": CACHE_KEY_PREFIX}}

# Celery: Redis broker when CELERY_BROKER_URL is set; otherwise tasks run eagerly in-process.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default="")
CELERY_RESULT_BACKEND = env.str("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL or "cache+memory://")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
# Reliability (docs/decisions/0022-celery-workers-and-periodic-jobs.md). A message is acknowledged when its
# task ends, not when a worker takes it, and requeued when the worker process dies mid-task: a task is
# never lost, so it may run twice, and every task is written to be safe to run twice (idempotent).
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# Losing the broker connection ends the tasks in hand: the broker delivers them again, and two copies of
# one task must not run side by side.
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
# Each worker process takes one message at a time: a long job never holds others back in its buffer.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# A worker process is replaced after this many tasks, so memory a task leaks cannot pile up.
CELERY_WORKER_MAX_TASKS_PER_CHILD = 500
# Results are kept only for the tasks whose callers read them (``ignore_result=False`` on the task: the
# ping); periodic jobs report what they did in their JobRun row, other tasks in the rows they change.
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A task running past the soft limit gets SoftTimeLimitExceeded (to clean up); past the hard limit its
# worker process is killed. A task may set longer limits of its own (``time_limit=``).
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=60 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = env.int("CELERY_TASK_SOFT_TIME_LIMIT", default=55 * 60)
# Redis hands a message taken but not acknowledged to another worker after this many seconds: it must be
# longer than any task may run (its hard limit), or a long task would be started again while still running.
# It also bounds a retry's countdown (a message waiting longer would be delivered twice).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT + 30 * 60}
# Beat (operations.beat.JobScheduler) sends the jobs of operations.jobs at the schedules in force, from the
# one beat that holds the leader lock; it wakes at least this often (seconds) to renew that lock and to
# re-read the schedules and switches staff set on the system settings page.
CELERY_BEAT_SCHEDULER = "operations.beat:JobScheduler"
CELERY_BEAT_MAX_LOOP_INTERVAL = 5

# When each periodic job runs by default: an interval ("5s", "15m", "2h", "1d") or a crontab
# ("17 3 * * *", in CELERY_TIMEZONE). The jobs are listed in operations.jobs; staff override these on the
# system settings page without a restart. PERIODIC_JOBS in the environment (JSON, such as
# {"audit-rows-seal": "10s"}) changes the defaults it names.
_PERIODIC_JOB_DEFAULTS = {
    "user-roles-expiry": "15m",
    "user-sessions-cleanup": "23 * * * *",
    "notifications-deliver": "30s",
    "system-logs-cleanup": "17 3 * * *",
    # Seconds of sealing lag under normal load (decision 0016); a run finding nothing new costs two queries.
    "audit-rows-seal": "5s",
    "audit-chain-verify": "41 * * * *",
    "audit-chain-verify-full": "7 4 * * sun",
    "audit-partitions-ensure": "3 2 * * *",
    "tickets-auto-close": "47 4 * * *",
    "tickets-sla-breaches": "5m",
    "attachments-sweep": "29 4 * * *",
    "kpis-compute": "5 * * * *",
    "backups-stuck-repair": "10m",
    "backups-retention": "37 5 * * *",
    "job-runs-cleanup": "53 3 * * *",
}
PERIODIC_JOBS = {**_PERIODIC_JOB_DEFAULTS, **env.json("PERIODIC_JOBS", default={})}
# Days a job run's record is kept (the job-runs-cleanup job).
JOB_RUN_RETENTION_DAYS = env.int("JOB_RUN_RETENTION_DAYS", default=14)

# Days a backup is kept, and hours after which a backup still pending or running has failed.
BACKUP_RETENTION_DAYS = env.int("BACKUP_RETENTION_DAYS", default=30)
BACKUP_STUCK_AFTER_HOURS = env.int("BACKUP_STUCK_AFTER_HOURS", default=6)

# --- Notifications (docs/decisions/0024-notification-delivery.md) ---
# Attempts at delivering a notification before it is marked FAILED (system setting notifications.max_attempts).
# 12 with the backoff below: 11 pauses of 30 s doubling to the 1 h cap, about 2.5 to 5 hours in all, so an
# outage of a couple of hours (a mail server down, a rotated gateway token) fails nothing for good.
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=12)
# Who sends each channel. E-mail goes through EMAIL_BACKEND; in-app notifications need nobody (the inbox
# shows them). SMS, WhatsApp and push: <CHANNEL>_PROVIDER "console" writes each message to the log (the
# development default), "http" posts it to a gateway at <CHANNEL>_GATEWAY_URL with the bearer token
# <CHANNEL>_GATEWAY_TOKEN (accounts.delivery.gateway; accounts.checks refuses an unknown provider or a gateway
# without its URL or token).
NOTIFICATION_GATEWAY_TIMEOUT_SECONDS = env.float("NOTIFICATION_GATEWAY_TIMEOUT_SECONDS", default=10.0)
NOTIFICATION_PROVIDER_CLASSES = {
    "console": "accounts.delivery.gateway.ConsoleProvider",
    "http": "accounts.delivery.gateway.HttpGatewayProvider",
}


def notification_provider(kind: str, url: str, token: str) -> dict[str, Any]:
    """A channel's entry of NOTIFICATION_PROVIDERS: ``kind`` names the class (a dotted path is taken as is)."""
    if kind != "http":
        return {"CLASS": NOTIFICATION_PROVIDER_CLASSES.get(kind, kind), "OPTIONS": {}}
    options = {"url": url, "token": token, "timeout": NOTIFICATION_GATEWAY_TIMEOUT_SECONDS}
    return {"CLASS": NOTIFICATION_PROVIDER_CLASSES["http"], "OPTIONS": options}


NOTIFICATION_PROVIDERS: dict[str, dict[str, Any]] = {
    "EMAIL": {"CLASS": "accounts.delivery.email.EmailProvider", "OPTIONS": {}},
    "SMS": notification_provider(
        env.str("SMS_PROVIDER", default="console"),
        env.str("SMS_GATEWAY_URL", default=""),
        env.str("SMS_GATEWAY_TOKEN", default=""),
    ),
    "WHATSAPP": notification_provider(
        env.str("WHATSAPP_PROVIDER", default="console"),
        env.str("WHATSAPP_GATEWAY_URL", default=""),
        env.str("WHATSAPP_GATEWAY_TOKEN", default=""),
    ),
    "PUSH": notification_provider(
        env.str("PUSH_PROVIDER", default="console"),
        env.str("PUSH_GATEWAY_URL", default=""),
        env.str("PUSH_GATEWAY_TOKEN", default=""),
    ),
}
# A delivering worker holds the rows it claimed for this long (its lease); rows of a worker that died are
# claimed again once it runs out. Longer than a batch takes to send: the job starts no send whose
# provider timeout would outlast the lease.
NOTIFICATION_LEASE_SECONDS = env.int("NOTIFICATION_LEASE_SECONDS", default=300)
# Retries after a passing failure wait about base * 2^(attempt - 1) seconds (half of it random), at most max.
NOTIFICATION_RETRY_BASE_SECONDS = env.int("NOTIFICATION_RETRY_BASE_SECONDS", default=30)
NOTIFICATION_RETRY_MAX_SECONDS = env.int("NOTIFICATION_RETRY_MAX_SECONDS", default=60 * 60)
# Rows claimed at once per channel, and how long one delivery run keeps claiming before it ends.
NOTIFICATION_BATCH_SIZE = env.int("NOTIFICATION_BATCH_SIZE", default=100)
NOTIFICATION_RUN_SECONDS = 120
# --- end of notifications ---

# How many days ahead the role-expiry job warns a role's holder and whoever granted it.
ROLE_EXPIRY_WARNING_DAYS = env.int("ROLE_EXPIRY_WARNING_DAYS", default=3)

# Demo data and the demo login may be created (seed_demo, create_demo_login). Off in production.
DEMO_DATA_ALLOWED = env.bool("DEMO_DATA_ALLOWED", default=True)
# The demo login's password (create_demo_login sets it when it creates the account, or with
# --reset-password). An empty value counts as unset: the demo login never gets an empty password.
DEMO_ADMIN_PASSWORD = env.str("DEMO_ADMIN_PASSWORD", default="") or "demo-admin-2026"

# Addresses (or networks) of reverse proxies whose X-Forwarded-For we believe. Empty: trust none.
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])

# Money: the platform's currency and the default commission when no rule matches.
DEFAULT_CURRENCY = env.str("DEFAULT_CURRENCY", default="USD")
# The currencies payments may be taken in, each with its minor units (ISO 4217): an amount never has more
# decimals than its currency's. Amounts are stored with two decimals, so 0, 1 or 2 (billing.checks).
BILLING_CURRENCIES = {
    "USD": 2, "EUR": 2, "GBP": 2, "CHF": 2, "SAR": 2, "AED": 2, "EGP": 2, "JPY": 0, "KRW": 0,
}  # fmt: skip
PLATFORM_DEFAULT_COMMISSION_PERCENT = Decimal(env.str("PLATFORM_DEFAULT_COMMISSION_PERCENT", default="15.00"))

# Admin changelists over tables that grow without bound never run a full COUNT(*): counts up to this
# many rows are exact, larger ones are shown as an estimate (see core.admin_performance).
ADMIN_EXACT_COUNT_LIMIT = env.int("ADMIN_EXACT_COUNT_LIMIT", default=10_000)

GUARDIAN_RAISE_403 = True
ANONYMOUS_USER_NAME = None  # guardian: no anonymous user row; anonymous visitors have no object permissions.

# Keys signing the audit trail's seals (decision 0016), as "key_id:secret" pairs separated by commas. The
# first signs new seals; the others still verify the seals they signed, so a key is rotated by putting a
# new pair first. The database never holds them. The development default derives one from SECRET_KEY.
AUDIT_SEAL_KEYS: dict[str, str] = dict(
    pair.split(":", 1) for pair in env.list("AUDIT_SEAL_KEYS", default=[f"dev:{SECRET_KEY}"]) if ":" in pair
)
# How long the oldest audit row may wait for its seal before admins are alerted (system log ERROR and a
# notification); sealing runs every few seconds, so this is minutes of a stalled sealer or transaction.
AUDIT_SEAL_LAG_ALERT_SECONDS = env.int("AUDIT_SEAL_LAG_ALERT_SECONDS", default=300)

# WARNING and worse from the application and its jobs are also stored in SystemLog (queued, batched;
# see auditing.log_handler). SYSTEM_LOG_LEVEL sets the threshold.
SYSTEM_LOG_TO_DATABASE = env.bool("SYSTEM_LOG_TO_DATABASE", default=True)
SYSTEM_LOG_LEVEL = env.str("SYSTEM_LOG_LEVEL", default="WARNING")
# Days a system log row is kept, per level; `cleanup_logs` and its daily job delete older rows.
SYSTEM_LOG_RETENTION_DAYS = {
    "INFO": env.int("SYSTEM_LOG_RETENTION_INFO_DAYS", default=14),
    "WARNING": env.int("SYSTEM_LOG_RETENTION_WARNING_DAYS", default=30),
    "ERROR": env.int("SYSTEM_LOG_RETENTION_ERROR_DAYS", default=90),
    "CRITICAL": env.int("SYSTEM_LOG_RETENTION_CRITICAL_DAYS", default=365),
}

LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "filters": {"not_asset_404": {"()": "core.log_filters.NotAsset404Filter"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain"},
        "system_log": {"class": "auditing.log_handler.SystemLogHandler", "level": SYSTEM_LOG_LEVEL},
    },
    "root": {
        "handlers": ["console", "system_log"] if SYSTEM_LOG_TO_DATABASE else ["console"],
        "level": env.str("DJANGO_LOG_LEVEL", default="INFO"),
    },
    "loggers": {
        "django.db.backends": {"level": "WARNING", "propagate": True},
        # A browser asking for a missing favicon or a stale static file is not something to act on.
        "django.request": {"filters": ["not_asset_404"], "propagate": True},
        # django-axes reports every failed sign-in at WARNING, which the system log would store: a
        # guessing run would fill it. The audit trail records failures once per burst (decision 0011).
        "axes": {"level": "ERROR", "propagate": True},
    },
}
# Celery keeps the handlers above instead of replacing the root logger's.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Login protection (django-axes; see docs/decisions/0011-login-protection.md) ---
# After LOGIN_FAILURE_LIMIT failed sign-ins against one account (from any address) or from one address
# (against any accounts) within LOGIN_COOLOFF_MINUTES, every authenticate(request=...) for that account
# or from that address is refused until the last counted failure is LOGIN_COOLOFF_MINUTES old.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
LOGIN_COOLOFF_MINUTES = env.int("LOGIN_COOLOFF_MINUTES", default=15)
AXES_COOLOFF_TIME = "accounts.login_protection.cool_off"
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# Counts in the database: shared by every process, survives a restart, and the counters need the
# transaction and row lock the database handler takes (see decision 0011 for the cache handler).
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_USERNAME_FORM_FIELD = "username"  # the admin's sign-in form
# An existing account by its address (any case), any other name only as a keyed hash.
AXES_USERNAME_CALLABLE = "accounts.login_protection.lockout_name"
# The address the audit trail records: X-Forwarded-For only from TRUSTED_PROXIES.
AXES_CLIENT_IP_CALLABLE = "accounts.login_protection.client_address"
AXES_LOCKOUT_CALLABLE = "accounts.login_protection.lockout_response"
AXES_HTTP_RESPONSE_CODE = 429
# Attempts refused during a pause are not password checks: they neither extend the pause (so the page
# can say when it ends) nor count (accounts.audit_events tells them apart by this).
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# A successful sign-in clears only the signed-in account's failures (accounts.login_protection):
# axes' own reset would also clear the address's, letting one known account reset a guessing run.
AXES_RESET_ON_SUCCESS = False
AXES_DISABLE_ACCESS_LOG = True  # sign-ins are in the audit trail already
# Axes' own admin pages would sit outside RBAC (its models are not in the permission catalogue);
# lockouts are read in the audit trail instead, and lift by themselves after the cool-off.
AXES_ENABLE_ADMIN = False
# --- end of login protection ---
