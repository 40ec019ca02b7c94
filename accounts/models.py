"""People and what they may do: users, roles, permissions, and the notifications sent to them."""

import uuid

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models.functions import Coalesce, Lower
from django.db.models.lookups import Exact
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.models import TimeStampedModel


class UserStatus(models.TextChoices):
    ACTIVE = "ACTIVE", _("Active")
    SUSPENDED = "SUSPENDED", _("Suspended")


class NotificationChannel(models.TextChoices):
    EMAIL = "EMAIL", _("E-mail")
    PUSH = "PUSH", _("Push")
    SMS = "SMS", _("SMS")
    WHATSAPP = "WHATSAPP", _("WhatsApp")
    IN_APP = "IN_APP", _("In app")


class NotificationStatus(models.TextChoices):
    PENDING = "PENDING", _("Pending")
    SENT = "SENT", _("Sent")
    FAILED = "FAILED", _("Failed")


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def get_by_natural_key(self, email):
        # E-mail addresses are unique regardless of case, so logging in ignores case too.
        return self.get(self.email_matches(email))

    @staticmethod
    def email_matches(email: str) -> Exact:
        """``email`` ignoring case, as the ``lower(email)`` unique index answers it (``iexact`` would
        compare ``UPPER()``s and scan every user)."""
        return Exact(Lower("email"), email.lower())

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields["is_staff"] = True
        extra_fields["is_superuser"] = True
        return self._create_user(email, password, **extra_fields)


class User(AbstractBaseUser, PermissionsMixin):
    """Anyone who signs in: staff, consultants and clients. Logs in by e-mail.

    ``status`` is the business state (a suspended user cannot log in and holds no permissions);
    ``is_active`` keeps Django's meaning, an account switched off for good.
    """

    email = models.EmailField(verbose_name=_("email"), max_length=254)
    full_name = models.CharField(verbose_name=_("full name"), max_length=200)
    phone = models.CharField(verbose_name=_("phone"), max_length=32, blank=True)
    status = models.CharField(
        verbose_name=_("status"), max_length=16, choices=UserStatus.choices, default=UserStatus.ACTIVE, db_index=True
    )
    is_staff = models.BooleanField(
        verbose_name=_("is staff"), default=False, help_text=_("Can sign in to the back office.")
    )
    is_active = models.BooleanField(verbose_name=_("is active"), default=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["full_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
            models.CheckConstraint(condition=models.Q(status__in=UserStatus.values), name="accounts_user_status_valid"),
        ]

    def __str__(self):
        return self.full_name or self.email

    def clean(self):
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    @property
    def is_suspended(self) -> bool:
        return self.status == UserStatus.SUSPENDED

    def get_full_name(self):
        return self.full_name

    # A suspended user holds no permissions at all, the bootstrap superuser included. Django's own
    # PermissionsMixin would answer True for any active superuser before asking the backends.
    def has_perm(self, perm, obj=None):
        return self.status == UserStatus.ACTIVE and super().has_perm(perm, obj)

    def has_module_perms(self, app_label):
        return self.status == UserStatus.ACTIVE and super().has_module_perms(app_label)

    def get_short_name(self):
        return self.full_name.split(" ")[0] if self.full_name else self.email


def permission_codename(resource: str, action: str) -> str:
    """The Django permission string for (resource, action): ``("support.supportticket", "assign")`` is
    ``support.assign_supportticket``; a resource without a model part gives ``app.action``."""
    app_label, _, model = resource.partition(".")
    return f"{app_label}.{action}_{model}" if model else f"{resource}.{action}"


class Role(TimeStampedModel):
    """A named bundle of permissions. System roles are seeded and cannot be renamed or deleted."""

    name = models.CharField(verbose_name=_("name"), max_length=64, unique=True)
    description = models.TextField(verbose_name=_("description"), blank=True)
    is_system = models.BooleanField(verbose_name=_("is system"), default=False)
    permissions: "models.ManyToManyField[Permission, RolePermission]" = models.ManyToManyField(
        "Permission", verbose_name=_("permissions"), through="RolePermission", related_name="roles"
    )

    class Meta:
        verbose_name = _("role")
        verbose_name_plural = _("roles")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Permission(TimeStampedModel):
    """One thing a role may do: ``action`` on ``resource`` (e.g. ``view`` on ``support.supportticket``)."""

    resource = models.CharField(verbose_name=_("resource"), max_length=100)
    action = models.CharField(verbose_name=_("action"), max_length=64)
    description = models.CharField(verbose_name=_("description"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("permission")
        verbose_name_plural = _("permissions")
        ordering = ["resource", "action"]
        constraints = [
            models.UniqueConstraint(fields=["resource", "action"], name="accounts_permission_resource_action_uniq"),
        ]

    def __str__(self):
        return self.codename

    @property
    def codename(self) -> str:
        """The Django permission string this row answers, e.g. ``support.view_supportticket``."""
        return permission_codename(self.resource, self.action)


class RolePermission(models.Model):
    role = models.ForeignKey(Role, verbose_name=_("role"), on_delete=models.CASCADE, related_name="role_permissions")
    permission = models.ForeignKey(
        Permission, verbose_name=_("permission"), on_delete=models.CASCADE, related_name="role_permissions"
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("role permission")
        verbose_name_plural = _("role permissions")
        constraints = [
            models.UniqueConstraint(fields=["role", "permission"], name="accounts_rolepermission_role_perm_uniq"),
        ]

    def __str__(self):
        return f"{self.role} → {self.permission}"


class UserRoleQuerySet(models.QuerySet):
    def active(self, at=None):
        """Assignments in force at ``at`` (now by default): never-expiring or expiring later."""
        at = at or timezone.now()
        return self.filter(models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=at))


class UserRole(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="user_roles"
    )
    role = models.ForeignKey(Role, verbose_name=_("role"), on_delete=models.CASCADE, related_name="user_roles")
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("assigned by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    assigned_at = models.DateTimeField(verbose_name=_("assigned at"), default=timezone.now)
    expires_at = models.DateTimeField(
        verbose_name=_("expires at"), null=True, blank=True, help_text=_("Empty means the role never expires.")
    )
    # Book-keeping of the role-expiry job, so that each notice goes out once.
    expiry_warning_sent_at = models.DateTimeField(
        verbose_name=_("expiry warning sent at"), null=True, blank=True, editable=False
    )
    lapsed_at = models.DateTimeField(
        verbose_name=_("lapsed at"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("When the expiry job recorded that the role lapsed."),
    )

    objects = UserRoleQuerySet.as_manager()

    class Meta:
        verbose_name = _("user role")
        verbose_name_plural = _("user roles")
        ordering = ["-assigned_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "role"], name="accounts_userrole_user_role_uniq"),
            models.CheckConstraint(
                condition=models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=models.F("assigned_at")),
                name="accounts_userrole_expiry_after_assignment",
            ),
        ]
        indexes = [
            # The role-expiry job scans assignments that expire soon or have just lapsed.
            models.Index(fields=["expires_at"], name="accounts_userrole_expires_idx"),
        ]

    def __str__(self):
        return f"{self.user} as {self.role}"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()


class Notification(TimeStampedModel):
    """Something to tell a person, on one channel. Queued PENDING by ``notifications_create``, then moved to
    SENT or FAILED by the delivery job only (``accounts.services.delivery``, decision 0024).

    The delivery columns are the job's bookkeeping: ``attempts`` so far, ``next_attempt_at`` (when the row
    is due again: after a backoff, or when the lease of a worker that died runs out), the lease of the
    worker sending it (``lease_token`` until ``lease_expires_at``), and ``idempotency_key``, which every
    provider receives so that a message sent twice (a worker killed after the provider answered) is
    recognised as one.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="notifications"
    )
    title = models.CharField(verbose_name=_("title"), max_length=200)
    body = models.TextField(verbose_name=_("body"), blank=True)
    channel = models.CharField(
        verbose_name=_("channel"),
        max_length=16,
        choices=NotificationChannel.choices,
        default=NotificationChannel.IN_APP,
    )
    status = models.CharField(
        verbose_name=_("status"),
        max_length=16,
        choices=NotificationStatus.choices,
        default=NotificationStatus.PENDING,
    )
    sent_at = models.DateTimeField(verbose_name=_("sent at"), null=True, blank=True)
    read_at = models.DateTimeField(verbose_name=_("read at"), null=True, blank=True)
    # A plain small integer with a named CHECK (added NOT VALID, then validated): a PositiveSmallIntegerField's
    # own column CHECK would be validated under the table's exclusive lock when the column is added. The
    # database defaults serve writers that name only the original columns (COPY, a restore of older data).
    attempts = models.SmallIntegerField(verbose_name=_("attempts"), default=0, db_default=0, editable=False)
    next_attempt_at = models.DateTimeField(verbose_name=_("next attempt at"), null=True, blank=True, editable=False)
    lease_token = models.UUIDField(verbose_name=_("lease token"), null=True, blank=True, editable=False)
    lease_expires_at = models.DateTimeField(verbose_name=_("lease expires at"), null=True, blank=True, editable=False)
    idempotency_key = models.UUIDField(verbose_name=_("idempotency key"), default=uuid.uuid4, editable=False)
    error = models.TextField(
        verbose_name=_("error"),
        blank=True,
        default="",
        db_default="",
        editable=False,
        help_text=_("Why the last attempt failed."),
    )
    provider_reference = models.CharField(
        verbose_name=_("provider reference"),
        max_length=200,
        blank=True,
        default="",
        db_default="",
        editable=False,
        help_text=_("The message's id at the provider that accepted it."),
    )

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(channel__in=NotificationChannel.values), name="accounts_notification_channel_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=NotificationStatus.values), name="accounts_notification_status_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(status=NotificationStatus.SENT) | models.Q(sent_at__isnull=False),
                name="accounts_notification_sent_has_sent_at",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=NotificationStatus.FAILED) | ~models.Q(error=""),
                name="accounts_notification_failed_has_error",
            ),
            models.CheckConstraint(condition=models.Q(attempts__gte=0), name="accounts_notification_attempts_valid"),
            # A lease is a token with its expiry, and only a row still to be sent can be leased.
            models.CheckConstraint(
                condition=models.Q(lease_token__isnull=True, lease_expires_at__isnull=True)
                | models.Q(
                    lease_token__isnull=False, lease_expires_at__isnull=False, status=NotificationStatus.PENDING
                ),
                name="accounts_notification_lease_whole",
            ),
        ]
        indexes = [
            # The staff list filtered by status and channel (the failed ones, say), oldest or newest first.
            models.Index(fields=["status", "channel", "created_at"], name="accounts_notif_delivery_idx"),
            # The delivery job's claim: per channel, the pending rows that are due, longest due first
            # (accounts.services.delivery). Only pending rows are in it, so it stays small however large
            # the table grows.
            models.Index(
                "channel",
                Coalesce("next_attempt_at", "created_at"),
                name="accounts_notif_due_idx",
                condition=models.Q(status=NotificationStatus.PENDING),
            ),
            # A user's inbox: their delivered in-app notifications, newest first ...
            models.Index(
                "user",
                models.F("created_at").desc(),
                name="accounts_notif_inbox_list_idx",
                condition=models.Q(channel=NotificationChannel.IN_APP, status=NotificationStatus.SENT),
            ),
            # ... and its unread count, in the staff header of every page.
            models.Index(
                fields=["user"],
                name="accounts_notif_unread_idx",
                condition=models.Q(
                    channel=NotificationChannel.IN_APP, status=NotificationStatus.SENT, read_at__isnull=True
                ),
            ),
        ]

    def __str__(self):
        return self.title


class NotificationPreference(models.Model):
    """A user's choice to receive notifications on one channel or not. No row means yes.

    In-app notifications cannot be switched off: the inbox is the record of what the person was told.
    Honoured when notifications are queued (``notifications_create``) and again when they are delivered.
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notification_preferences",
    )
    channel = models.CharField(verbose_name=_("channel"), max_length=16, choices=NotificationChannel.choices)
    enabled = models.BooleanField(verbose_name=_("enabled"), default=True)
    updated_at = models.DateTimeField(verbose_name=_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        ordering = ["user", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["user", "channel"], name="accounts_notifpref_user_channel_uniq"),
            models.CheckConstraint(
                condition=models.Q(channel__in=NotificationChannel.values), name="accounts_notifpref_channel_valid"
            ),
            models.CheckConstraint(
                condition=~models.Q(channel=NotificationChannel.IN_APP) | models.Q(enabled=True),
                name="accounts_notifpref_in_app_always_on",
            ),
        ]

    def __str__(self):
        state = _("on") if self.enabled else _("off")
        return f"{self.user}: {self.get_channel_display()} {state}"


class UserSession(models.Model):
    """A signed-in session of a user, mirroring its ``django_session`` row so the account page can list a
    user's sessions without decoding every session in the table.

    Written on sign-in, sign-out and (at most once a minute) on activity by ``accounts.session_tracking``;
    a row whose session is gone is removed by ``accounts.services.sessions.user_sessions_cleanup``.
    ``session_key`` is a bearer credential: it is never shown, logged or put in an audit event (the row's
    id names the session instead).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="sessions"
    )
    session_key = models.CharField(verbose_name=_("session key"), max_length=40)
    ip_address = models.GenericIPAddressField(verbose_name=_("ip address"), null=True, blank=True)
    user_agent = models.CharField(verbose_name=_("user agent"), max_length=512, blank=True)
    created_at = models.DateTimeField(verbose_name=_("created at"), default=timezone.now)
    last_seen_at = models.DateTimeField(verbose_name=_("last seen at"), default=timezone.now)

    class Meta:
        verbose_name = _("user session")
        verbose_name_plural = _("user sessions")
        ordering = ["-last_seen_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["session_key"], name="accounts_usersession_key_uniq"),
        ]
        indexes = [
            # The account page: a user's sessions, most recently seen first.
            models.Index(fields=["user", "-last_seen_at"], name="accounts_usersession_user_idx"),
        ]

    def __str__(self):
        return f"{self.user} since {self.created_at:%Y-%m-%d %H:%M}"
