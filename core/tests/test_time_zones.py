"""Times are shown in the viewer's time zone when the browser names a real one."""

from datetime import UTC, datetime

import pytest
from django.test import RequestFactory
from django.utils import timezone

from core.time_zones import ViewerTimeZoneMiddleware, viewer_time_zone


@pytest.mark.parametrize(
    "name", ["", "Mars/Olympus", "Europe/Berlin\x00", "../../etc/passwd", "A" * 5000, "UTC; drop table"]
)
def test_anything_but_a_known_zone_name_is_ignored(name):
    assert viewer_time_zone(name) is None


def test_a_known_zone_is_active_for_the_request_only(settings):
    seen = {}

    def view(request):
        moment = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
        seen["name"] = timezone.get_current_timezone_name()
        seen["local"] = timezone.localtime(moment).strftime("%H:%M")
        return None

    request = RequestFactory().get("/", HTTP_COOKIE="tz=Asia/Riyadh")
    ViewerTimeZoneMiddleware(view)(request)
    assert seen == {"name": "Asia/Riyadh", "local": "15:00"}
    assert timezone.get_current_timezone_name() == settings.TIME_ZONE
