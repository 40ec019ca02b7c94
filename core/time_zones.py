"""Times shown in the viewer's own time zone.

The browser names its zone (``static/js/time_zone.js`` stores ``Intl``'s answer in the ``tz`` cookie);
this middleware activates it for the request when it is a real IANA zone, else the site's ``TIME_ZONE``
stays. Stored times stay UTC: only what templates and ``timezone.localtime`` show changes.
"""

import functools
import zoneinfo

from django.utils import timezone

COOKIE = "tz"
LONGEST_NAME = 64  # the longest IANA names are about 30 characters


@functools.cache
def _known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def viewer_time_zone(name: str | None) -> zoneinfo.ZoneInfo | None:
    """The zone named by the cookie, or None for anything that is not a known zone name."""
    if not name or len(name) > LONGEST_NAME or name not in _known_zones():
        return None
    return zoneinfo.ZoneInfo(name)


class ViewerTimeZoneMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        zone = viewer_time_zone(request.COOKIES.get(COOKIE))
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
