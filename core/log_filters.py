"""Logging filters that keep noise out of the system log."""

import logging

from django.conf import settings

# Paths browsers and crawlers ask for on their own; a 404 for them is nobody's problem.
_ASSET_PATHS = ("/favicon.ico", "/apple-touch-icon.png", "/apple-touch-icon-precomposed.png", "/robots.txt")


class NotAsset404Filter(logging.Filter):
    """Drops ``django.request``'s "Not Found" records for static files and the icons browsers ask for.

    Any other record passes, 404s of pages included: a broken link inside the product is worth seeing.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "status_code", None) != 404:
            return True
        request = getattr(record, "request", None)
        path = getattr(request, "path", "") or ""
        return not _is_asset(path)


def _is_asset(path: str) -> bool:
    static_prefix = "/" + settings.STATIC_URL.lstrip("/")
    return path.startswith(static_prefix) or path in _ASSET_PATHS
