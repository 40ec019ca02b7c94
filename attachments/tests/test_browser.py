"""In a real browser: staff upload a photo on a booking's page, see its thumbnail, and download it."""

import pytest

from accounts.tests.factories import UserFactory
from attachments.models import FileAttachment, ThumbnailStatus
from attachments.tests import samples
from consultants.models import Booking
from consultants.tests.factories import BookingFactory
from core.testing import admin_url
from core.tests.browser import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_staff_upload_a_photo_on_a_booking_see_its_thumbnail_and_download_it(
    page, live_server, screenshot_dir, tmp_path
):
    # given a booking and staff signed in on its page
    staff = UserFactory(is_staff=True, is_superuser=True, email="ops@example.com", full_name="Olivia Ops")
    booking = BookingFactory()
    photo, minutes = tmp_path / "site-visit.jpg", tmp_path / "minutes.pdf"
    photo.write_bytes(samples.jpeg(1600, 1200))
    minutes.write_bytes(samples.pdf("Minutes of the session"))
    (screenshot_dir / "attachments").mkdir(exist_ok=True)
    sign_in(page, live_server, staff.email, next_url=admin_url(Booking, "change", booking.pk))
    page.wait_for_selector("#attachments")
    # when they upload a photo and a PDF through the panel
    for path in (photo, minutes):
        page.set_input_files("#attachments input[type=file]", str(path))
        page.click("#attachments button:has-text('Upload')")
        page.wait_for_selector(f"#attachments a:has-text('{path.name}')")
    # then both are listed, the photo with its thumbnail, and the page says what happened
    assert page.locator(".messagelist >> text=“minutes.pdf” was uploaded.").count() == 1
    thumbnail = page.locator("#attachments td.preview img")
    thumbnail.wait_for()
    assert thumbnail.evaluate("image => image.complete && image.naturalWidth") > 0
    assert FileAttachment.objects.get(original_name="site-visit.jpg").thumbnail_status == ThumbnailStatus.READY
    page.locator("#attachments").scroll_into_view_if_needed()
    page.screenshot(path=screenshot_dir / "attachments" / "booking-panel.png", full_page=True)
    # when they download the PDF
    with page.expect_download() as downloading:
        page.click("#attachments a:has-text('minutes.pdf')")
    download = downloading.value
    # then they get the file under its own name, and the count moved
    assert download.suggested_filename == "minutes.pdf"
    assert open(download.path(), "rb").read() == minutes.read_bytes()
    assert FileAttachment.objects.get(original_name="minutes.pdf").download_count == 1
    # and the file's own page shows the preview
    page.goto(
        live_server.url
        + admin_url(FileAttachment, "change", FileAttachment.objects.get(original_name="site-visit.jpg").pk)
    )
    page.wait_for_selector(".attachment-preview img")
    page.screenshot(path=screenshot_dir / "attachments" / "file-page.png", full_page=True)
