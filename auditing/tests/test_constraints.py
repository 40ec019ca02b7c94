import pytest

from auditing.tests.factories import AuditLogFactory, SystemLogFactory
from core.testing import assert_rejected

pytestmark = pytest.mark.django_db


def test_audit_action_must_be_known():
    assert_rejected(lambda: AuditLogFactory(action="TELEPORT"))


def test_system_log_level_must_be_known():
    assert_rejected(lambda: SystemLogFactory(level="DEBUG"))
