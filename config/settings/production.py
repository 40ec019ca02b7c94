"""Production settings: refuse to start without secrets or shared services, secure cookies and HTTPS everywhere.

A variable production needs has no default here: when it is missing or empty the process stops with
``ImproperlyConfigured`` naming it, instead of starting with a development fallback that would quietly
behave differently (a per-process cache, tasks run in the web process, no periodic jobs).
"""

from django.core.exceptions import ImproperlyConfigured

from config.secret_key import secret_key_problem
from config.settings.base import *  # noqa: F403
from config.settings.base import BASE_DIR, CACHE_KEY_PREFIX, env, with_session_settings


def required(name: str) -> str:
    """The value of environment variable ``name``; raises ``ImproperlyConfigured`` when it is unset or empty."""
    value = env.str(name, default="")
    if not value:
        raise ImproperlyConfigured(f"Set the {name} environment variable: production does not start without it.")
    return value


DEBUG = False
SECRET_KEY = env.str("DJANGO_SECRET_KEY")  # no default: a missing secret stops the process
if problem := secret_key_problem(SECRET_KEY, repository=BASE_DIR):
    raise ImproperlyConfigured(f"DJANGO_SECRET_KEY is not fit for production: {problem}.")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"] = with_session_settings(DATABASES["default"])
# Cached permissions are invalidated through the cache, so every process must share it.
REDIS_URL = required("REDIS_URL")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        # base.py derives it from the same DATABASE_URL; one rule for the prefix, written once.
        "KEY_PREFIX": CACHE_KEY_PREFIX,
    }
}
# Without a broker every task would run inside the web request that queued it and Celery beat would
# have nothing to send to: no periodic job (role expiry, KPIs, backups, log retention) would ever run.
CELERY_BROKER_URL = required("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = False

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_NAME = "__Host-sessionid"  # only over HTTPS, for this host and path "/"
CSRF_COOKIE_NAME = "__Host-csrftoken"

DEMO_DATA_ALLOWED = env.bool("DEMO_DATA_ALLOWED", default=False)

# The audit seals' keys: never the development default, each long enough to resist guessing.
_seal_key_pairs = [pair.strip().partition(":") for pair in required("AUDIT_SEAL_KEYS").split(",")]
AUDIT_SEAL_KEYS = {key_id: secret for key_id, _, secret in _seal_key_pairs}
if any(not key_id or not colon or len(secret) < 32 for key_id, colon, secret in _seal_key_pairs):
    raise ImproperlyConfigured(
        'AUDIT_SEAL_KEYS must be "key_id:secret" pairs separated by commas, each secret at least 32 characters.'
    )
