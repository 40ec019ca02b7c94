"""Telling people when the audit trail needs them: sealing has fallen behind, or verification failed.

An alert is a system log ERROR (or CRITICAL) and an in-app notification to everyone who may read the
audit trail, at most once an hour per kind, so a stalled sealer running every few seconds does not
bury anyone.
"""

import logging

from django.conf import settings
from django.core.cache import cache
from django.db.models import Q

from accounts.models import Permission, User
from accounts.rbac_catalog import VIEW_AUDIT_LOG, resource_action_from_codename
from accounts.selectors import permission_holders
from accounts.services.notifications import notifications_create
from auditing.chain import ChainVerdict
from auditing.sealing import SealStatus

logger = logging.getLogger("auditing.alerts")
REPEAT_AFTER_SECONDS = 3600


def _audit_readers():
    """Active staff who may read the audit trail: superusers and the holders of its view permission."""
    resource, action = resource_action_from_codename(VIEW_AUDIT_LOG)
    permission = Permission.objects.filter(resource=resource, action=action).first()
    holders = permission_holders(permission=permission).values("user") if permission else []
    return User.objects.filter(Q(is_superuser=True) | Q(pk__in=holders), is_active=True, is_staff=True)


def _alert_once(kind: str, title: str, body: str) -> bool:
    """Notifies the audit trail's readers unless the same kind of alert went out within the hour."""
    if not cache.add(f"auditing:alert:{kind}", True, REPEAT_AFTER_SECONDS):
        return False
    notifications_create(users=_audit_readers(), title=title, body=body)
    return True


def seal_lag_alert(status: SealStatus | None) -> bool:
    """Alerts when the oldest unsealed row has waited longer than ``AUDIT_SEAL_LAG_ALERT_SECONDS``;
    returns whether the lag was over the threshold."""
    if status is None or status.lag_seconds <= settings.AUDIT_SEAL_LAG_ALERT_SECONDS:
        return False
    message = (
        f"Audit sealing is {status.lag_seconds:.0f}s behind (threshold {settings.AUDIT_SEAL_LAG_ALERT_SECONDS}s): "
        f"{status.unsealed_rows:,} rows wait after the sealed head #{status.head_id}. A transaction that stays open "
        "or a stopped sealing job holds it up."
    )
    logger.error(message)
    _alert_once("seal-lag", "Audit sealing is falling behind", message)
    return True


def verification_failed_alert(verdict: ChainVerdict) -> None:
    message = f"Audit trail verification failed: {verdict.problem}."
    logger.critical(message)
    _alert_once("verification", "Audit trail verification FAILED", message)
