"""Reads for the staff home page: the counts that matter to staff, and who can grant access."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts import selectors as account_selectors
from accounts.models import Permission, User, UserStatus
from accounts.rbac_catalog import MANAGE_ROLES, VIEW_AUDIT_LOG, VIEW_REFUND, VIEW_TICKET, resource_action_from_codename
from auditing.chain import ChainVerdict, audit_chain_last_verdict
from backups.models import Backup, BackupStatus
from billing.models import Refund, RefundStatus
from support.models import SupportTicket

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

VIEW_BACKUP = "backups.view_backup"
FAILED_BACKUP_WINDOW = timedelta(days=7)
GRANTERS_SHOWN = 5


@dataclass(frozen=True)
class HomeCount:
    label: StrOrPromise
    value: int
    url: str
    attention: bool  # a non-zero value someone should act on


def home_counts(*, user) -> list[HomeCount]:
    """The live counts on the home page, each only when ``user`` may view the area it counts.

    One ``COUNT`` per shown figure, each on an indexed filter (status leads the index of every table
    counted), so the page stays cheap however large the tables grow.
    """
    now = timezone.now()
    counts = []
    if user.has_perm(VIEW_TICKET):
        # Overdue: the next service-level deadline has passed (support.sla; the partial index on it).
        url = reverse("support:queue")
        counts += [
            HomeCount(_("Open tickets"), SupportTicket.objects.open().count(), f"{url}?status=active", False),
            HomeCount(
                _("Overdue tickets"),
                SupportTicket.objects.filter(sla_due_at__lt=now).count(),
                f"{url}?sla=overdue&order=due",
                True,
            ),
        ]
    if user.has_perm(VIEW_REFUND):
        pending = Refund.objects.filter(status__in=[RefundStatus.REQUESTED, RefundStatus.APPROVED]).count()
        # The refunds queue opens on those waiting for a decision.
        counts.append(HomeCount(_("Pending refunds"), pending, reverse("billing:refunds"), True))
    if user.has_perm(VIEW_BACKUP):
        failed = Backup.objects.filter(status=BackupStatus.FAILED, created_at__gte=now - FAILED_BACKUP_WINDOW).count()
        url = reverse("admin:backups_backup_changelist")
        counts.append(
            HomeCount(_("Failed backups (7 days)"), failed, f"{url}?status__exact={BackupStatus.FAILED}", True)
        )
    return counts


def audit_chain_verdict_for(*, user) -> ChainVerdict | None | bool:
    """The audit chain's cached verdict (no query) for those who may view the audit trail; ``False``
    for everyone else, so the page can tell "not shown" from "not verified yet" (``None``)."""
    if not user.has_perm(VIEW_AUDIT_LOG):
        return False
    return audit_chain_last_verdict()


def access_granters(*, limit: int = GRANTERS_SHOWN) -> list[User]:
    """Active people who may grant roles (``MANAGE_ROLES``, what ``accounts.views.user_role_grant``
    requires): holders through a role first, then superusers, at most ``limit``. Three queries."""
    resource, action = resource_action_from_codename(MANAGE_ROLES)
    permission = Permission.objects.filter(resource=resource, action=action).first()
    granters: dict[int, User] = {}
    if permission is not None:
        for assignment in account_selectors.permission_holders(permission=permission)[: limit * 2]:
            granters.setdefault(assignment.user.pk, assignment.user)
    if len(granters) < limit:
        superusers = User.objects.filter(is_superuser=True, is_active=True, status=UserStatus.ACTIVE)
        for user in superusers.exclude(pk__in=granters).order_by("full_name")[: limit - len(granters)]:
            granters.setdefault(user.pk, user)
    return list(granters.values())[:limit]
