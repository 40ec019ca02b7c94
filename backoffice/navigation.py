"""The back office's areas: the staff pages and admin pages in each, filtered by what the user may open.

One structure feeds the sidebar on every page (``templates/admin/nav_sidebar.html``), the breadcrumbs of
the staff pages and the home page's cards. It is computed once per request and kept on the request.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.apps import apps
from django.contrib import admin
from django.urls import reverse
from django.utils.text import capfirst
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from accounts.rbac_catalog import (
    HANDLE_TICKET,
    VIEW_AUDIT_LOG,
    VIEW_COMMISSION,
    VIEW_JOB_RUNS,
    VIEW_PAYMENT,
    VIEW_PERMISSION,
    VIEW_REFUND,
    VIEW_ROLE,
    VIEW_SYSTEM_LOG,
    VIEW_SYSTEM_SETTINGS,
    VIEW_USER_ROLE,
)

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

_REQUEST_ATTRIBUTE = "_backoffice_areas"


@dataclass(frozen=True)
class StaffPage:
    """One of our own staff pages, shown to whoever holds every permission its view requires.

    ``replaces`` names the model ("app_label.ModelName") whose admin pages this page stands for: the
    sidebar then lists the staff page only, not both.
    """

    label: StrOrPromise
    url_name: str
    permissions: tuple[str, ...]
    replaces: str = ""


@dataclass(frozen=True)
class Area:
    title: StrOrPromise
    description: StrOrPromise
    models: tuple[str, ...]  # "app_label.ModelName"
    staff_pages: tuple[StaffPage, ...] = field(default=())


AREAS: tuple[Area, ...] = (
    Area(
        _("People & access"),
        _("Users, roles and permissions, and what is sent to people."),
        ("accounts.User", "accounts.Role", "accounts.Permission", "accounts.UserRole", "accounts.Notification"),
        # The permissions are those the views check (accounts.views).
        (
            StaffPage(_("Roles & access"), "accounts:role_list", (VIEW_ROLE,)),
            StaffPage(_("Who has a permission"), "accounts:permission_holders", (VIEW_USER_ROLE, VIEW_PERMISSION)),
        ),
    ),
    Area(
        _("Consultants"),
        _("Consultants, their specialties and the services they offer."),
        ("consultants.Consultant", "consultants.Specialty", "consultants.ServiceCategory", "consultants.Service"),
    ),
    Area(
        _("Sessions & deliverables"),
        _("Bookings, and the reports, studies, articles and messages around them."),
        (
            "consultants.Booking",
            "consultants.Report",
            "consultants.FeasibilityStudy",
            "consultants.Article",
            "consultants.Message",
        ),
    ),
    Area(
        _("Finance"),
        _("Payments and their totals, refunds to decide, consultants' earnings and commission rules."),
        ("billing.ServiceCommission", "billing.Payment", "billing.Refund"),
        # The permissions are those the views check (billing.views). The commission rules are edited in
        # the admin; the staff page explains which one applies, so both are listed.
        (
            StaffPage(_("Payments"), "billing:payments", (VIEW_PAYMENT,), replaces="billing.Payment"),
            StaffPage(_("Refunds"), "billing:refunds", (VIEW_REFUND,), replaces="billing.Refund"),
            StaffPage(_("Earnings"), "billing:earnings", (VIEW_PAYMENT,)),
            StaffPage(_("Commission by service"), "billing:commissions", (VIEW_COMMISSION,)),
        ),
    ),
    Area(
        _("Support desk"),
        _("Tickets and the conversation on them."),
        ("support.SupportTicket", "support.TicketComment", "support.SupportHoliday"),
        # The queue lets in those who handle tickets (support.views.desk_member_required).
        (StaffPage(_("Ticket queue"), "support:queue", (HANDLE_TICKET,)),),
    ),
    Area(_("Files"), _("Attachments of every kind of owner."), ("attachments.FileAttachment",)),
    Area(
        _("Audit & logs"),
        _("Who changed what, and what the system reported."),
        ("auditing.AuditLog", "auditing.SystemLog"),
        # The permissions are those the views check (auditing.views).
        (
            StaffPage(_("Audit trail"), "auditing:audit_list", (VIEW_AUDIT_LOG,), replaces="auditing.AuditLog"),
            StaffPage(_("System log"), "auditing:systemlog_list", (VIEW_SYSTEM_LOG,), replaces="auditing.SystemLog"),
        ),
    ),
    Area(
        _("KPIs & backups"),
        _("Pre-computed metrics and database backups."),
        ("analytics.KPIMetric", "backups.Backup"),
    ),
    Area(
        _("Jobs & settings"),
        _("The periodic jobs and how their runs went, and the system settings."),
        ("operations.JobRun", "operations.SystemSetting"),
        # The permissions are those the views check (operations.views). Settings are changed only on the
        # staff page, which validates every value; the job runs are read there too.
        (
            StaffPage(_("Periodic jobs"), "operations:jobs", (VIEW_JOB_RUNS,), replaces="operations.JobRun"),
            StaffPage(
                _("System settings"),
                "operations:settings",
                (VIEW_SYSTEM_SETTINGS,),
                replaces="operations.SystemSetting",
            ),
        ),
    ),
)


def areas_for_request(request) -> list[dict]:
    """The areas with at least one page the requesting user may open, each listing only those.

    Staff pages first (shown when ``user.has_perms`` grants what their view requires), then admin pages
    (the admin's own ``has_view_permission``/``has_add_permission``, which defer to ``user.has_perm``), so
    no link is shown that would then be refused. Each link says whether it is the page being shown
    (``current``). Computed once per request: later calls return the same list.
    """
    cached = getattr(request, _REQUEST_ATTRIBUTE, None)
    if cached is None:
        cached = _areas(request)
        setattr(request, _REQUEST_ATTRIBUTE, cached)
    return cached


def current_location(request) -> dict | None:
    """The area and link of the page being shown (``{"area": ..., "link": ...}``), if it is in the areas."""
    for area in areas_for_request(request):
        for link in area["links"]:
            if link["current"]:
                return {"area": area, "link": link}
    return None


def _areas(request) -> list[dict]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    path = request.path
    language = get_language()
    visible = []
    for area in AREAS:
        links = [_staff_link(page, path, language) for page in area.staff_pages if user.has_perms(page.permissions)]
        replaced = {page.replaces for page in area.staff_pages}
        links += [
            link
            for label in area.models
            if label not in replaced and (link := _admin_link(request, label, path, language))
        ]
        if links:
            title, description = _translated(area.title, language), _translated(area.description, language)
            visible.append({"title": title, "description": description, "links": links})
    _only_the_closest_current(visible)
    return visible


def _only_the_closest_current(areas: list[dict]) -> None:
    """Leaves one link current: the one whose address is the longest prefix of the page's (the payments
    list at /staff/finance/ is a prefix of every finance page, the refunds queue's included)."""
    current = [link for area in areas for link in area["links"] if link["current"]]
    if len(current) > 1:
        closest = max(current, key=lambda link: len(link["url"]))
        for link in current:
            link["current"] = link is closest


_TRANSLATED: dict[tuple[int, str | None], str] = {}


def _translated(text: StrOrPromise, language: str | None) -> str:
    """``text`` in ``language`` (the active one), as a plain string, translated once per process and
    language: the sidebar escapes each label, and a lazy one would be translated again at every touch
    (some sixty per page). ``text`` is one of the labels of `AREAS`, which live as long as the process, so
    they are keyed by identity (a lazy string hashes by translating itself, the cost avoided here)."""
    key = (id(text), language)
    if key not in _TRANSLATED:
        _TRANSLATED[key] = str(text)
    return _TRANSLATED[key]


@functools.cache
def _url(name: str) -> str:
    """``reverse(name)`` for the argument-free names of the navigation, reversed once per process: the
    sidebar on every page would otherwise reverse some fifty names per request."""
    return reverse(name)


def _staff_link(page: StaffPage, path: str, language: str | None) -> dict:
    url = _url(page.url_name)
    return {
        "label": _translated(page.label, language),
        "url": url,
        "add_url": None,
        "add_label": "",
        "current": path.startswith(url),
    }


def _admin_link(request, label: str, path: str, language: str | None) -> dict | None:
    model = apps.get_model(label)
    model_admin = admin.site._registry.get(model)
    if model_admin is None or not model_admin.has_view_permission(request):
        return None
    opts = model._meta
    url_prefix = f"admin:{opts.app_label}_{opts.model_name}"
    url = _url(f"{url_prefix}_changelist")
    may_add = model_admin.has_add_permission(request)
    plural, add_label = _model_labels(label, language)
    return {
        "label": plural,
        "url": url,
        "add_url": _url(f"{url_prefix}_add") if may_add else None,
        "add_label": add_label if may_add else "",
        "current": path.startswith(url),
    }


@functools.cache
def _model_labels(label: str, language: str | None) -> tuple[str, str]:
    """(Plural name, "Add <name>") of model ``label`` in ``language`` (the active one), once per process."""
    opts = apps.get_model(label)._meta
    return str(capfirst(opts.verbose_name_plural)), gettext("Add %(name)s") % {"name": opts.verbose_name}
