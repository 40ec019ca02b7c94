"""Which tables the audit trail captures row by row, and why not the others: one decision per table.

The rule: **capture what is a fact, not what is derived.**

- A fact is something someone did or decided, or something that happened to the business: a booking,
  a payment, a role granted, a file uploaded, a backup taken. Its table is captured: every insert,
  update and delete becomes an audit row, whichever path wrote it (``auditing.capture`` installs the
  triggers after every ``migrate``; decision 0009).
- Derived data is recomputed from facts on a schedule (KPI values). It is not captured row by row: the
  job that recomputes it writes one RECOMPUTE event per run saying what it covered and how much it
  wrote (``analytics.services.kpi_values_store``). A million recomputed numbers are no million facts.
- The trail itself (audit rows, their seals, verification runs, the system log) is not captured: it
  would audit itself.
- Some columns of a captured table are bookkeeping: a counter or stamp that moves on every download,
  delivery attempt or job run and tells an auditor nothing (or has an event of its own). The entry names
  them, each with a one-line reason; they are left out of diffs, so an update touching only them writes
  no audit row. ``auto_now`` stamps and ``accounts.models.User.last_login`` are left out everywhere by rule
  (``auditing.capture.ignored_columns``). A status or a "sent at" is a fact, not bookkeeping.
- Security-relevant tables (users, roles and their permissions and assignments, per-object permissions,
  the user-group and user-permission links) are always captured: the tests fail otherwise.

Every table of ``DOMAIN_APPS`` has an entry, many-to-many tables included (labels such as
``accounts.user_groups``), and so do the third-party tables that grant access (guardian's). A new model
without one fails ``auditing/tests/test_capture_registry.py``; until it has one it is captured (a fact
missed cannot be recovered, a row too many can be ignored). A change here takes effect at the next
``migrate``, which also drops the triggers of tables no longer captured.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar


@dataclass(frozen=True)
class Captured:
    """Every row change is captured, except changes to ``bookkeeping`` columns (field name -> why)."""

    bookkeeping: Mapping[str, str] = field(default_factory=dict)

    captured: ClassVar[bool] = True


@dataclass(frozen=True)
class NotCaptured:
    """No row change is captured; ``reason`` says why, and what records the table's changes instead."""

    reason: str

    captured: ClassVar[bool] = False


CAPTURED = Captured()
DERIVED = NotCaptured("derived: recomputed on schedule, one RECOMPUTE event per run")

# Model label -> decision. Keep it in app order, one line per table, so a reader sees every decision at once.
CAPTURE_REGISTRY: Mapping[str, Captured | NotCaptured] = {
    # accounts: who may do what. All of it security-relevant.
    "accounts.user": CAPTURED,
    "accounts.user_groups": CAPTURED,
    "accounts.user_user_permissions": CAPTURED,
    "accounts.role": CAPTURED,
    "accounts.permission": CAPTURED,
    "accounts.rolepermission": CAPTURED,
    # expiry_warning_sent_at and lapsed_at move once per assignment, not per run: the lapse is the
    # audit record of a role running out (accounts.services.expiry), so both stay captured.
    "accounts.userrole": CAPTURED,
    # status, sent_at, read_at and provider_reference are facts (what was sent, when, under which provider
    # id, and whether it was read); the delivery job's progress between them is bookkeeping (decision 0024).
    "accounts.notification": Captured(
        bookkeeping={
            "attempts": "a tally moved by every delivery attempt",
            "next_attempt_at": "when the delivery job looks at the row again, moved by every attempt",
            "lease_token": "which worker is sending the row at this moment",
            "lease_expires_at": "until when that worker may send it",
            "error": "the last attempt's failure, rewritten on each retry; the row keeps the final one",
        }
    ),
    # A person's own choice of channels.
    "accounts.notificationpreference": CAPTURED,
    "accounts.usersession": NotCaptured(
        "bookkeeping mirror of Django's sessions holding session keys (bearer credentials); signing in and out "
        "and sessions ended are LOGIN/LOGOUT events"
    ),
    # guardian's generic per-object permissions (the project's own per-model ones are listed by app).
    "guardian.userobjectpermission": CAPTURED,
    "guardian.groupobjectpermission": CAPTURED,
    # consultants
    "consultants.specialty": CAPTURED,
    "consultants.consultant": CAPTURED,
    "consultants.consultantspecialty": CAPTURED,
    "consultants.servicecategory": CAPTURED,
    "consultants.service": CAPTURED,
    "consultants.booking": CAPTURED,
    "consultants.report": CAPTURED,
    "consultants.feasibilitystudy": CAPTURED,
    "consultants.article": CAPTURED,
    "consultants.message": CAPTURED,
    "consultants.bookinguserobjectpermission": CAPTURED,
    "consultants.reportuserobjectpermission": CAPTURED,
    "consultants.feasibilitystudyuserobjectpermission": CAPTURED,
    # billing
    "billing.servicecommission": CAPTURED,
    "billing.payment": CAPTURED,
    "billing.refund": CAPTURED,
    # support
    "support.supportticket": Captured(
        bookkeeping={"sla_due_at": "derived by the database from the deadlines and the status, which are audited"}
    ),
    "support.ticketcomment": CAPTURED,
    "support.supportholiday": CAPTURED,
    "support.supportticketuserobjectpermission": CAPTURED,
    # attachments
    "attachments.fileattachment": Captured(
        bookkeeping={
            "download_count": "a tally moved by every download; each download is its own event",
            "last_downloaded_at": "stamped by every download, like the tally",
            "thumbnail": "a preview derived from the file by a job, remade at will",
            "thumbnail_status": "the preview job's progress",
            "thumbnail_error": "the preview job's last failure (also in the system log)",
        }
    ),
    # backups: each run is its own row, and its status, times, size and checksum are what it did.
    "backups.backup": CAPTURED,
    # analytics
    "analytics.kpimetric": DERIVED,
    # operations: staff's runtime choices are decisions; job runs are the machinery's own record.
    "operations.systemsetting": CAPTURED,
    "operations.jobrun": NotCaptured("the scheduler's own record: one row per job run, pruned by retention"),
    # auditing
    "auditing.auditlog": NotCaptured("the trail itself: append-only, each row hashed"),
    "auditing.auditseal": NotCaptured("the trail's tamper evidence: append-only, each seal chained to the last"),
    "auditing.auditverification": NotCaptured("the trail's own checks: one row per verification run, as its result"),
    "auditing.systemlog": NotCaptured("the application's operational log: pruned by retention, about code, not data"),
}

# Never flipped to NotCaptured: whoever can change these can grant themselves anything.
SECURITY_RELEVANT = frozenset(
    {
        "accounts.user",
        "accounts.user_groups",
        "accounts.user_user_permissions",
        "accounts.role",
        "accounts.permission",
        "accounts.rolepermission",
        "accounts.userrole",
        "guardian.userobjectpermission",
        "guardian.groupobjectpermission",
        "consultants.bookinguserobjectpermission",
        "consultants.reportuserobjectpermission",
        "consultants.feasibilitystudyuserobjectpermission",
        "support.supportticketuserobjectpermission",
    }
)


def capture_decision(label: str) -> Captured | NotCaptured:
    """The registry's entry for a model label ("billing.payment"); a table without one is captured."""
    return CAPTURE_REGISTRY.get(label, CAPTURED)
