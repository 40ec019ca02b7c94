import factory

from auditing.models import AuditAction, AuditLog, LogLevel, SystemLog
from core.factories import ModelFactory


class AuditLogFactory(ModelFactory[AuditLog]):
    class Meta:
        model = AuditLog

    action = AuditAction.UPDATE
    entity_type = "consultants.booking"
    entity_id = factory.Sequence(str)
    changes = factory.LazyFunction(lambda: {"status": ["PENDING", "CONFIRMED"]})
    ip_address = "203.0.113.7"
    user_agent = "Mozilla/5.0"


class SystemLogFactory(ModelFactory[SystemLog]):
    class Meta:
        model = SystemLog

    level = LogLevel.WARNING
    logger = "billing.services"
    message = factory.Faker("sentence")
