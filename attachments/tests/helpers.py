"""Shared by the attachments tests: people who may and may not touch a booking's files, and what is stored."""

from pathlib import Path

import pytest
from django.conf import settings

from accounts.tests.factories import staff_holding

UPLOADER_PERMISSIONS = ("attachments.add_fileattachment", "consultants.change_booking", "consultants.view_booking")
DOWNLOADER_PERMISSIONS = ("consultants.view_booking", "attachments.download_private_fileattachment")


def uploader():
    """Staff who may add files to any booking and download them."""
    return staff_holding(*UPLOADER_PERMISSIONS, "attachments.download_private_fileattachment")


def stored_files() -> set[str]:
    """Every stored attachment or thumbnail on disk, public and private, as storage names."""
    found = set()
    for root in (Path(settings.MEDIA_ROOT), Path(settings.PRIVATE_MEDIA_ROOT)):
        for visibility in ("public", "private"):
            folder = root / visibility
            if folder.exists():
                found |= {str(path.relative_to(root)) for path in folder.rglob("*") if path.is_file()}
    return found


@pytest.fixture
def isolated_media(settings, tmp_path):
    """Public and private media in folders of this test's own, for tests that look at everything stored."""
    settings.MEDIA_ROOT = str(tmp_path / "media")
    settings.PRIVATE_MEDIA_ROOT = str(tmp_path / "private-media")
    settings.STORAGES = {
        **settings.STORAGES,
        "attachments_private": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": settings.PRIVATE_MEDIA_ROOT, "base_url": None},
        },
    }
    return tmp_path


def deleter():
    """Staff who may delete files of any booking."""
    return staff_holding(*UPLOADER_PERMISSIONS, "attachments.delete_fileattachment")
