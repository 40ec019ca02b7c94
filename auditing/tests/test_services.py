import pytest

from accounts.tests.factories import UserFactory
from auditing.models import AuditAction
from auditing.services import REDACTED, audit_record
from core.request_context import RequestContext, bind, bind_system_actor

pytestmark = pytest.mark.django_db


def test_an_event_carries_the_bound_request_context():
    user = UserFactory()
    with bind(RequestContext(user=user, ip_address="203.0.113.9", user_agent="Firefox", request_id="r-1")):
        event = audit_record(action=AuditAction.UPDATE, entity=user, changes={"phone": ["1", "2"]})
    assert (event.actor, event.ip_address, event.user_agent, event.request_id) == (
        user,
        "203.0.113.9",
        "Firefox",
        "r-1",
    )
    assert (event.entity_type, event.entity_id) == ("accounts.user", str(user.pk))


def test_jobs_are_recorded_as_the_system():
    with bind_system_actor("user_roles_expiry_task"):
        event = audit_record(action=AuditAction.UPDATE, entity_type="accounts.userrole", entity_id=7)
    assert event.actor is None and event.actor_label == "system: user_roles_expiry_task"


def test_secrets_never_reach_the_trail():
    event = audit_record(
        action=AuditAction.UPDATE,
        entity_type="accounts.user",
        changes={"password": ["a", "b"], "profile": {"api_key": "k"}, "full_name": ["A", "B"]},
    )
    assert event.changes == {"password": REDACTED, "profile": {"api_key": REDACTED}, "full_name": ["A", "B"]}
