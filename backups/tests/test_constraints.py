from datetime import timedelta

import pytest
from django.utils import timezone

from backups.tests.factories import BackupFactory
from core.testing import assert_rejected

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("field, value", [("backup_type", "DIFFERENTIAL"), ("status", "MAYBE")])
def test_backup_enums_are_enforced(field, value):
    assert_rejected(lambda: BackupFactory(**{field: value}))


def test_a_backup_cannot_finish_before_it_started_or_without_starting():
    now = timezone.now()
    assert_rejected(lambda: BackupFactory(started_at=now, finished_at=now - timedelta(seconds=1)))
    assert_rejected(lambda: BackupFactory(started_at=None, finished_at=now))
