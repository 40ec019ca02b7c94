"""Rows for every model the admin shows, so admin tests can cover the whole site generically.

Admin page addresses come from ``core.testing.admin_url``, which the apps' own tests use too.
"""

from django.contrib import admin
from django.db.models import Model
from factory.django import DjangoModelFactory

from accounts.models import Notification, Permission, Role, RolePermission, User, UserRole
from accounts.tests.factories import (
    NotificationFactory,
    PermissionFactory,
    RoleFactory,
    RolePermissionFactory,
    UserFactory,
    UserRoleFactory,
)
from analytics.models import KPIMetric
from analytics.tests.factories import KPIMetricFactory
from attachments.models import FileAttachment
from attachments.tests.factories import FileAttachmentFactory
from auditing.models import AuditLog, SystemLog
from auditing.tests.factories import AuditLogFactory, SystemLogFactory
from backups.models import Backup
from backups.tests.factories import BackupFactory
from billing.models import Payment, Refund, ServiceCommission
from billing.tests.factories import PaymentFactory, RefundFactory, ServiceRuleFactory
from consultants.models import (
    Article,
    Booking,
    Consultant,
    ConsultantSpecialty,
    FeasibilityStudy,
    Message,
    Report,
    Service,
    ServiceCategory,
    Specialty,
)
from consultants.tests.factories import (
    ArticleFactory,
    BookingFactory,
    ConsultantFactory,
    ConsultantSpecialtyFactory,
    FeasibilityStudyFactory,
    MessageFactory,
    ReportFactory,
    ServiceCategoryFactory,
    ServiceFactory,
    SpecialtyFactory,
)
from core.admin_performance import LargeTableAdminMixin
from operations.models import JobRun, SystemSetting
from operations.tests.factories import JobRunFactory, SystemSettingFactory
from support.models import SupportHoliday, SupportTicket, TicketComment
from support.tests.factories import SupportHolidayFactory, SupportTicketFactory, TicketCommentFactory

FACTORIES: dict[type[Model], type[DjangoModelFactory]] = {
    User: UserFactory,
    Role: RoleFactory,
    Permission: PermissionFactory,
    RolePermission: RolePermissionFactory,
    UserRole: UserRoleFactory,
    Notification: NotificationFactory,
    Specialty: SpecialtyFactory,
    Consultant: ConsultantFactory,
    ConsultantSpecialty: ConsultantSpecialtyFactory,
    ServiceCategory: ServiceCategoryFactory,
    Service: ServiceFactory,
    Booking: BookingFactory,
    Report: ReportFactory,
    FeasibilityStudy: FeasibilityStudyFactory,
    Article: ArticleFactory,
    Message: MessageFactory,
    ServiceCommission: ServiceRuleFactory,  # rules of one scope may not overlap
    Payment: PaymentFactory,
    Refund: RefundFactory,
    SupportTicket: SupportTicketFactory,
    TicketComment: TicketCommentFactory,
    SupportHoliday: SupportHolidayFactory,
    FileAttachment: FileAttachmentFactory,
    AuditLog: AuditLogFactory,
    SystemLog: SystemLogFactory,
    KPIMetric: KPIMetricFactory,
    Backup: BackupFactory,
    JobRun: JobRunFactory,
    SystemSetting: SystemSettingFactory,
}


def registered_models() -> list[type[Model]]:
    return sorted(admin.site._registry, key=lambda model: model._meta.label)


STAFF_PAGE_MODELS = (AuditLog, SystemLog)


def large_table_models() -> list[type[Model]]:
    """Models whose admin list is built for millions of rows, less the two the admin only sends on to
    their staff pages (the audit trail and the system log, measured on those pages)."""
    return [
        model
        for model in registered_models()
        if isinstance(admin.site._registry[model], LargeTableAdminMixin) and model not in STAFF_PAGE_MODELS
    ]


def create_rows(model: type[Model], count: int) -> list[Model]:
    return FACTORIES[model].create_batch(count)
