"""The audit trail (who changed what, append-only) and the application's own system log."""

from django.conf import settings
from django.db import models


class AuditAction(models.TextChoices):
    CREATE = "CREATE", "Create"
    UPDATE = "UPDATE", "Update"
    DELETE = "DELETE", "Delete"
    LOGIN = "LOGIN", "Login"
    LOGOUT = "LOGOUT", "Logout"
    LOGIN_FAILED = "LOGIN_FAILED", "Failed login"
    # Repeated failed sign-ins paused signing in for an account or an address (accounts.audit_events).
    LOCKOUT = "LOCKOUT", "Sign-in lockout"
    PAYMENT = "PAYMENT", "Payment"
    REFUND = "REFUND", "Refund"
    SUSPEND = "SUSPEND", "Suspend"
    ACTIVATE = "ACTIVATE", "Activate"
    EXPORT = "EXPORT", "Export"


# What the capture triggers write; every other action is a business event recorded by a service.
ROW_CHANGES = (AuditAction.CREATE, AuditAction.UPDATE, AuditAction.DELETE)


class LogLevel(models.TextChoices):
    INFO = "INFO", "Info"
    WARNING = "WARNING", "Warning"
    ERROR = "ERROR", "Error"
    CRITICAL = "CRITICAL", "Critical"


class AuditLog(models.Model):
    """One auditable event. Rows are written once and never changed (see decision 0009).

    On PostgreSQL, triggers write the CREATE/UPDATE/DELETE rows of every domain table, refuse UPDATE
    and DELETE here, and chain each row's ``row_hash`` to the previous row's (the functions of
    ``auditing/migrations/0005_append_only_chain_and_capture.py``).
    """

    action = models.CharField(max_length=16, choices=AuditAction.choices)
    # No database constraint and nothing done on delete: deleting a user must not rewrite history
    # (SET_NULL would be an UPDATE, which this table refuses). ``actor_label`` keeps who it was.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="audit_events",
    )
    # Who acted, as it read then: the user's e-mail address, or "system: compute_kpis" for a job.
    actor_label = models.CharField(max_length=150, blank=True)
    entity_type = models.CharField(max_length=100, help_text="app_label.model, e.g. billing.payment")
    entity_id = models.CharField(max_length=64, blank=True)
    changes = models.JSONField(default=dict, blank=True, help_text="{field: [before, after]}")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # sha256(previous row's row_hash + this row's content), set by the database; see verify_audit_chain.
    row_hash = models.CharField(max_length=64, blank=True, editable=False, db_default="")

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(action__in=AuditAction.values), name="auditing_action_valid"),
        ]
        indexes = [
            # The viewer's default page and date-range filter: newest first (id breaks ties, so a page
            # never sorts a pile of rows sharing one timestamp).
            models.Index(fields=["-created_at", "-id"], name="auditing_audit_created_idx"),
            # An entity's full history.
            models.Index(fields=["entity_type", "entity_id", "-created_at"], name="auditing_audit_entity_idx"),
            # What one person did. Partial, like the two below: rows without an actor (jobs, bulk work)
            # or without an address skip indexes they would never be found by, which keeps the cost of
            # capturing a 1,000-row update down (bench/audit.py).
            models.Index(
                fields=["actor", "-created_at"],
                name="auditing_audit_actor_idx",
                condition=models.Q(actor__isnull=False),
            ),
            # Filtering by a business event (LOGIN, PAYMENT, ...). Row changes are common enough that
            # the created_at index finds a page of them quickly; events can be rare, so they get this.
            models.Index(
                fields=["action", "-created_at", "-id"],
                name="auditing_audit_event_idx",
                condition=~models.Q(action__in=ROW_CHANGES),
            ),
            # Everything done from one address, newest first.
            models.Index(
                fields=["ip_address", "-created_at", "-id"],
                name="auditing_audit_ip_idx",
                condition=models.Q(ip_address__isnull=False),
            ),
        ]

    def __str__(self):
        return f"{self.action} {self.entity_type}#{self.entity_id}"


class SystemLog(models.Model):
    """A WARNING-or-worse record from the application or its background jobs."""

    level = models.CharField(max_length=16, choices=LogLevel.choices)
    logger = models.CharField(max_length=200)
    message = models.TextField()
    traceback = models.TextField(blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(level__in=LogLevel.values), name="auditing_syslog_level_valid"),
        ]
        indexes = [
            models.Index(fields=["-created_at"], name="auditing_syslog_created_idx"),
            # Level filter on the viewer, and per-level retention deleting the oldest rows first.
            models.Index(fields=["level", "created_at"], name="auditing_syslog_level_idx"),
            models.Index(fields=["logger", "-created_at"], name="auditing_syslog_logger_idx"),
        ]

    def __str__(self):
        return f"{self.level} {self.logger}"
