"""Backups read as sizes and durations: "1.5 GB", "took 12 min"."""

from datetime import timedelta

import pytest
from django.utils import timezone

from backups.models import Backup
from backups.tests.factories import BackupFactory
from core.testing import admin_url

pytestmark = pytest.mark.django_db


def test_backups_show_their_size_and_how_long_they_took(admin_client):
    # given
    started = timezone.now() - timedelta(hours=1)
    backup = BackupFactory(size_bytes=1_610_612_736, started_at=started, finished_at=started + timedelta(minutes=72))
    # when
    content = admin_client.get(admin_url(Backup, "changelist")).content.decode()
    # then
    assert "1.5\xa0GB" in content
    assert "1 h 12 min" in content
    form = admin_client.get(admin_url(Backup, "change", backup.pk)).context["adminform"].form
    assert not {"size_bytes", "started_at", "finished_at", "created_at"} & set(form.fields)
