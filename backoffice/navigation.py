"""The back office's areas and the admin pages in each, filtered by what the user may see."""

from dataclasses import dataclass

from django.apps import apps
from django.contrib import admin
from django.urls import reverse


@dataclass(frozen=True)
class Area:
    title: str
    description: str
    models: tuple[str, ...]  # "app_label.ModelName"


AREAS: tuple[Area, ...] = (
    Area(
        "People & access",
        "Users, roles and permissions, and what is sent to people.",
        ("accounts.User", "accounts.Role", "accounts.Permission", "accounts.UserRole", "accounts.Notification"),
    ),
    Area(
        "Consultants",
        "Consultants, their specialties and the services they offer.",
        ("consultants.Consultant", "consultants.Specialty", "consultants.ServiceCategory", "consultants.Service"),
    ),
    Area(
        "Sessions & deliverables",
        "Bookings, and the reports, studies, articles and messages around them.",
        (
            "consultants.Booking",
            "consultants.Report",
            "consultants.FeasibilityStudy",
            "consultants.Article",
            "consultants.Message",
        ),
    ),
    Area(
        "Billing",
        "Commission rules, payments and refunds.",
        ("billing.ServiceCommission", "billing.Payment", "billing.Refund"),
    ),
    Area("Support desk", "Tickets and the conversation on them.", ("support.SupportTicket", "support.TicketComment")),
    Area("Files", "Attachments of every kind of owner.", ("attachments.FileAttachment",)),
    Area(
        "Audit & logs", "Who changed what, and what the system reported.", ("auditing.AuditLog", "auditing.SystemLog")
    ),
    Area("KPIs & backups", "Pre-computed metrics and database backups.", ("analytics.KPIMetric", "backups.Backup")),
)


def areas_for_request(request) -> list[dict]:
    """The areas with at least one admin page the requesting user may view, each listing only those.

    Access is the admin's own answer (``has_view_permission``/``has_add_permission``, which defer to
    ``user.has_perm``), so this page never shows a link the admin would then refuse.
    """
    visible = []
    for area in AREAS:
        links = []
        for label in area.models:
            model = apps.get_model(label)
            model_admin = admin.site._registry.get(model)
            if model_admin is None or not model_admin.has_view_permission(request):
                continue
            opts = model._meta
            url_prefix = f"admin:{opts.app_label}_{opts.model_name}"
            links.append(
                {
                    "label": opts.verbose_name_plural[:1].upper() + opts.verbose_name_plural[1:],
                    "singular": opts.verbose_name,
                    "changelist_url": reverse(f"{url_prefix}_changelist"),
                    "add_url": reverse(f"{url_prefix}_add") if model_admin.has_add_permission(request) else None,
                }
            )
        if links:
            visible.append({"title": area.title, "description": area.description, "links": links})
    return visible
