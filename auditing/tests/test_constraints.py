import pytest
from django.db import IntegrityError, transaction

from auditing.tests.factories import AuditLogFactory, SystemLogFactory

pytestmark = pytest.mark.django_db


def test_audit_action_must_be_known():
    with pytest.raises(IntegrityError), transaction.atomic():
        AuditLogFactory(action="TELEPORT")


def test_system_log_level_must_be_known():
    with pytest.raises(IntegrityError), transaction.atomic():
        SystemLogFactory(level="DEBUG")
