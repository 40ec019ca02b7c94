"""The audit trail (who changed what, append-only) and the application's own system log."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditAction(models.TextChoices):
    CREATE = "CREATE", _("Create")
    UPDATE = "UPDATE", _("Update")
    DELETE = "DELETE", _("Delete")
    LOGIN = "LOGIN", _("Login")
    LOGOUT = "LOGOUT", _("Logout")
    LOGIN_FAILED = "LOGIN_FAILED", _("Failed login")
    # Repeated failed sign-ins paused signing in for an account or an address (accounts.audit_events).
    LOCKOUT = "LOCKOUT", _("Sign-in lockout")
    PAYMENT = "PAYMENT", _("Payment")
    REFUND = "REFUND", _("Refund")
    SUSPEND = "SUSPEND", _("Suspend")
    ACTIVATE = "ACTIVATE", _("Activate")
    EXPORT = "EXPORT", _("Export")
    # Derived data recomputed on schedule (KPI values): one event per run with its scope and counts,
    # instead of a row per value (auditing.capture_registry).
    RECOMPUTE = "RECOMPUTE", _("Recompute")
    # A private file read through the permission-checked download view (attachments.services).
    DOWNLOAD = "DOWNLOAD", _("Download")


# What the capture triggers write; every other action is a business event recorded by a service.
ROW_CHANGES = (AuditAction.CREATE, AuditAction.UPDATE, AuditAction.DELETE)


class LogLevel(models.TextChoices):
    INFO = "INFO", _("Info")
    WARNING = "WARNING", _("Warning")
    ERROR = "ERROR", _("Error")
    CRITICAL = "CRITICAL", _("Critical")


class AuditLog(models.Model):
    """One auditable event. Rows are written once and never changed (see decision 0009).

    On PostgreSQL, triggers write the CREATE/UPDATE/DELETE rows of every captured table, stamp each
    row's ``row_hash`` (the hash of its own content) and refuse UPDATE, DELETE and TRUNCATE here. The
    table is partitioned by month of ``created_at``; a sealer then adds the tamper evidence after commit
    (``AuditSeal``). The functions: ``auditing/migrations/0007_partitioned_trail_and_seals.py`` (capture: 0008);
    the design: decision 0016.
    """

    action = models.CharField(verbose_name=_("action"), max_length=16, choices=AuditAction.choices)
    # No database constraint and nothing done on delete: deleting a user must not rewrite history
    # (SET_NULL would be an UPDATE, which this table refuses). ``actor_label`` keeps who it was.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("actor"),
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        # The partial auditing_audit_actor_idx serves every lookup by actor; a full index would cost each
        # audit row (most have no actor) one more index entry and its WAL, for nothing.
        db_index=False,
        related_name="audit_events",
    )
    # Who acted, as it read then: the user's e-mail address, or "system: compute_kpis" for a job.
    actor_label = models.CharField(verbose_name=_("actor label"), max_length=150, blank=True)
    entity_type = models.CharField(
        verbose_name=_("entity type"), max_length=100, help_text=_("app_label.model, e.g. billing.payment")
    )
    entity_id = models.CharField(verbose_name=_("entity id"), max_length=64, blank=True)
    # What the entity was called when the row was written ("Jonas Schneider", "TCK-000120 · Refund"), so a
    # row deleted or renamed since is still named. Set by the capture function or the recording service.
    entity_label = models.CharField(max_length=200, blank=True, editable=False, db_default="")
    changes = models.JSONField(
        verbose_name=_("changes"), default=dict, blank=True, help_text=_("{field: [before, after]}")
    )
    ip_address = models.GenericIPAddressField(verbose_name=_("ip address"), null=True, blank=True)
    user_agent = models.CharField(verbose_name=_("user agent"), max_length=512, blank=True)
    request_id = models.CharField(verbose_name=_("request id"), max_length=64, blank=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)
    # The database role of the session that wrote the row, set by the database: the application's role, or
    # the person's own at a database prompt, whatever context that session claims.
    database_role = models.CharField(
        verbose_name=_("database role"), max_length=63, blank=True, editable=False, db_default=""
    )
    # sha256 of this row's canonical content (auditing_auditlog_content), set by the database on insert.
    row_hash = models.CharField(verbose_name=_("row hash"), max_length=64, blank=True, editable=False, db_default="")

    class Meta:
        verbose_name = _("audit log")
        verbose_name_plural = _("audit logs")
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


class AuditSeal(models.Model):
    """Tamper evidence for the audit rows with ``first_id < id <= last_id``, added after they committed.

    Seals follow each other without gaps (one's ``first_id`` is the previous one's ``last_id``) and each
    ``mac`` is an HMAC, under a key the database never holds (``AUDIT_SEAL_KEYS``), of the seal's fields and
    the previous seal's ``mac``: whoever can write to the database can neither edit a sealed row nor forge,
    edit or drop a seal without verification noticing. Written by ``auditing.sealing``; append-only.
    """

    first_id = models.BigIntegerField(
        verbose_name=_("first id"), help_text=_("The previous seal's last row id (exclusive)")
    )
    last_id = models.BigIntegerField(
        verbose_name=_("last id"), help_text=_("The last row id this seal covers (inclusive)")
    )
    row_count = models.PositiveIntegerField(verbose_name=_("row count"))
    # sha256 over the covered rows in id order: each row's id (8 bytes, big-endian) and its row_hash text.
    digest = models.CharField(verbose_name=_("digest"), max_length=64)
    # Each covered row's id (8 bytes) and the first 8 bytes of its row_hash: what lets verification name
    # the row that was edited, inserted or deleted, not only the seal. 16 bytes a row.
    row_index = models.BinaryField(verbose_name=_("row index"))
    previous_mac = models.CharField(verbose_name=_("previous mac"), max_length=64)
    mac = models.CharField(verbose_name=_("mac"), max_length=64)
    key_id = models.CharField(
        verbose_name=_("key id"), max_length=32, help_text=_("Which AUDIT_SEAL_KEYS entry signed it")
    )
    sealed_at = models.DateTimeField(verbose_name=_("sealed at"))

    class Meta:
        verbose_name = _("audit seal")
        verbose_name_plural = _("audit seals")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(last_id__gt=models.F("first_id")), name="auditing_seal_range"),
            models.UniqueConstraint(fields=["last_id"], name="auditing_seal_last_id_uniq"),
        ]

    def __str__(self):
        return f"seal #{self.pk} (rows #{self.first_id + 1}..#{self.last_id})"


class AuditVerification(models.Model):
    """One run of ``verify_audit_chain`` (command or periodic job): what it covered and what it found.

    The last passing run is where the next incremental one starts.
    """

    full = models.BooleanField(verbose_name=_("full"), default=False)
    started_at = models.DateTimeField(verbose_name=_("started at"))
    finished_at = models.DateTimeField(verbose_name=_("finished at"))
    ok = models.BooleanField(verbose_name=_("ok"))
    first_seal_id = models.BigIntegerField(verbose_name=_("first seal id"), null=True, blank=True)
    last_seal_id = models.BigIntegerField(
        verbose_name=_("last seal id"), null=True, blank=True, help_text=_("The last seal checked")
    )
    last_seal_mac = models.CharField(verbose_name=_("last seal mac"), max_length=64, blank=True)
    rows_checked = models.PositiveBigIntegerField(verbose_name=_("rows checked"), default=0)
    problem = models.TextField(verbose_name=_("problem"), blank=True)
    broken_row_id = models.BigIntegerField(verbose_name=_("broken row id"), null=True, blank=True)

    class Meta:
        verbose_name = _("audit verification")
        verbose_name_plural = _("audit verifications")
        ordering = ["-id"]
        indexes = [models.Index(fields=["ok", "-id"], name="auditing_verify_ok_idx")]

    def __str__(self):
        return f"{'full' if self.full else 'incremental'} verification #{self.pk}: {'ok' if self.ok else 'FAILED'}"


class SystemLog(models.Model):
    """A WARNING-or-worse record from the application or its background jobs."""

    level = models.CharField(verbose_name=_("level"), max_length=16, choices=LogLevel.choices)
    logger = models.CharField(verbose_name=_("logger"), max_length=200)
    message = models.TextField(verbose_name=_("message"))
    traceback = models.TextField(verbose_name=_("traceback"), blank=True)
    ip_address = models.GenericIPAddressField(verbose_name=_("ip address"), null=True, blank=True)
    user_agent = models.CharField(verbose_name=_("user agent"), max_length=512, blank=True)
    request_id = models.CharField(verbose_name=_("request id"), max_length=64, blank=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("system log")
        verbose_name_plural = _("system logs")
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
