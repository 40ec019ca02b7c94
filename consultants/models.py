"""Consultants, what they offer, the sessions clients book, and what consultants deliver and publish."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from guardian.models import UserObjectPermissionBase

from core.models import TimeStampedModel


class Specialty(TimeStampedModel):
    """A field of expertise (Economic, Financial, ...). Names are unique regardless of case."""

    name = models.CharField(verbose_name=_("name"), max_length=100)
    slug = models.SlugField(verbose_name=_("slug"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("specialty")
        verbose_name_plural = _("specialties")
        ordering = ["name"]
        constraints = [models.UniqueConstraint(Lower("name"), name="consultants_specialty_name_ci_unique")]

    def __str__(self):
        return self.name


class Consultant(TimeStampedModel):
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="consultant"
    )
    bio = models.TextField(verbose_name=_("bio"), blank=True)
    hourly_rate = models.DecimalField(verbose_name=_("hourly rate"), max_digits=10, decimal_places=2, default=0)
    is_verified = models.BooleanField(verbose_name=_("is verified"), default=False, db_index=True)
    # Legacy free-form list of expertise names, kept only as the source of `migrate_expertise_fields`.
    expertise_fields = models.JSONField(verbose_name=_("expertise fields"), default=list, blank=True)
    specialties = models.ManyToManyField(
        Specialty, verbose_name=_("specialties"), through="ConsultantSpecialty", related_name="consultants"
    )

    class Meta:
        verbose_name = _("consultant")
        verbose_name_plural = _("consultants")
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(hourly_rate__gte=0), name="consultants_consultant_rate_gte_0"),
        ]

    def __str__(self):
        return str(self.user)


class ConsultantSpecialty(models.Model):
    consultant = models.ForeignKey(
        Consultant, verbose_name=_("consultant"), on_delete=models.CASCADE, related_name="consultant_specialties"
    )
    specialty = models.ForeignKey(
        Specialty, verbose_name=_("specialty"), on_delete=models.CASCADE, related_name="consultant_specialties"
    )
    created_at = models.DateTimeField(verbose_name=_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("consultant specialty")
        verbose_name_plural = _("consultant specialties")
        constraints = [
            models.UniqueConstraint(
                fields=["consultant", "specialty"], name="consultants_consultantspecialty_pair_uniq"
            ),
        ]

    def __str__(self):
        return f"{self.consultant} · {self.specialty}"


class ServiceCategory(TimeStampedModel):
    name = models.CharField(verbose_name=_("name"), max_length=100, unique=True)
    slug = models.SlugField(verbose_name=_("slug"), max_length=100, unique=True)

    class Meta:
        verbose_name = _("service category")
        verbose_name_plural = _("service categories")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Service(TimeStampedModel):
    consultant = models.ForeignKey(
        Consultant, verbose_name=_("consultant"), on_delete=models.CASCADE, related_name="services"
    )
    category = models.ForeignKey(
        ServiceCategory, verbose_name=_("category"), on_delete=models.PROTECT, related_name="services"
    )
    title = models.CharField(verbose_name=_("title"), max_length=200)
    description = models.TextField(verbose_name=_("description"), blank=True)
    price = models.DecimalField(verbose_name=_("price"), max_digits=10, decimal_places=2)
    duration_minutes = models.PositiveIntegerField(verbose_name=_("duration minutes"), default=60)
    is_active = models.BooleanField(verbose_name=_("is active"), default=True, db_index=True)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["title"]
        constraints = [
            models.CheckConstraint(condition=models.Q(price__gte=0), name="consultants_service_price_gte_0"),
            models.CheckConstraint(
                condition=models.Q(duration_minutes__gt=0), name="consultants_service_duration_gt_0"
            ),
        ]

    def __str__(self):
        return self.title


class BookingStatus(models.TextChoices):
    PENDING = "PENDING", _("Pending")
    CONFIRMED = "CONFIRMED", _("Confirmed")
    COMPLETED = "COMPLETED", _("Completed")
    CANCELLED = "CANCELLED", _("Cancelled")
    NO_SHOW = "NO_SHOW", _("No show")


class Booking(TimeStampedModel):
    """A session a client booked with a consultant for one of their services."""

    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("client"), on_delete=models.PROTECT, related_name="bookings"
    )
    consultant = models.ForeignKey(
        Consultant, verbose_name=_("consultant"), on_delete=models.PROTECT, related_name="bookings"
    )
    service = models.ForeignKey(Service, verbose_name=_("service"), on_delete=models.PROTECT, related_name="bookings")
    scheduled_at = models.DateTimeField(verbose_name=_("scheduled at"))
    status = models.CharField(
        verbose_name=_("status"), max_length=16, choices=BookingStatus.choices, default=BookingStatus.PENDING
    )
    # The price agreed at booking time; the service's price may change later.
    price = models.DecimalField(verbose_name=_("price"), max_digits=10, decimal_places=2)
    notes = models.TextField(verbose_name=_("notes"), blank=True)

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ["-scheduled_at"]
        constraints = [
            models.CheckConstraint(condition=models.Q(price__gte=0), name="consultants_booking_price_gte_0"),
            models.CheckConstraint(
                condition=models.Q(status__in=BookingStatus.values), name="consultants_booking_status_valid"
            ),
        ]
        indexes = [
            # The staff list and the KPI job: bookings newest first, optionally by status.
            models.Index(fields=["-scheduled_at"], name="consultants_booking_sched_idx"),
            models.Index(fields=["status", "-scheduled_at"], name="consultants_booking_status_idx"),
            # A consultant's calendar and a client's history.
            models.Index(fields=["consultant", "-scheduled_at"], name="consultants_booking_cons_idx"),
            models.Index(fields=["client", "-scheduled_at"], name="consultants_booking_client_idx"),
        ]

    def __str__(self):
        return gettext("Booking #%(id)s · %(service)s") % {"id": self.pk, "service": self.service}


class DeliverableStatus(models.TextChoices):
    DRAFT = "DRAFT", _("Draft")
    SUBMITTED = "SUBMITTED", _("Submitted")
    DELIVERED = "DELIVERED", _("Delivered")
    ARCHIVED = "ARCHIVED", _("Archived")


class Report(TimeStampedModel):
    """A consultant's written report for a client, usually after a session."""

    consultant = models.ForeignKey(
        Consultant, verbose_name=_("consultant"), on_delete=models.PROTECT, related_name="reports"
    )
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("client"), on_delete=models.PROTECT, related_name="reports"
    )
    booking = models.ForeignKey(
        Booking, verbose_name=_("booking"), null=True, blank=True, on_delete=models.SET_NULL, related_name="reports"
    )
    title = models.CharField(verbose_name=_("title"), max_length=200)
    body = models.TextField(verbose_name=_("body"), blank=True)
    status = models.CharField(
        verbose_name=_("status"), max_length=16, choices=DeliverableStatus.choices, default=DeliverableStatus.DRAFT
    )
    delivered_at = models.DateTimeField(verbose_name=_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("report")
        verbose_name_plural = _("reports")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "-created_at"], name="consultants_report_status_idx")]

    def __str__(self):
        return self.title


class FeasibilityStudy(TimeStampedModel):
    """A feasibility study a consultant prepares for a client's project."""

    consultant = models.ForeignKey(
        Consultant, verbose_name=_("consultant"), on_delete=models.PROTECT, related_name="feasibility_studies"
    )
    client = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("client"), on_delete=models.PROTECT, related_name="feasibility_studies"
    )
    booking = models.ForeignKey(
        Booking,
        verbose_name=_("booking"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="feasibility_studies",
    )
    title = models.CharField(verbose_name=_("title"), max_length=200)
    summary = models.TextField(verbose_name=_("summary"), blank=True)
    body = models.TextField(verbose_name=_("body"), blank=True)
    estimated_budget = models.DecimalField(
        verbose_name=_("estimated budget"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    status = models.CharField(
        verbose_name=_("status"), max_length=16, choices=DeliverableStatus.choices, default=DeliverableStatus.DRAFT
    )
    delivered_at = models.DateTimeField(verbose_name=_("delivered at"), null=True, blank=True)

    class Meta:
        verbose_name = _("feasibility study")
        verbose_name_plural = _("feasibility studies")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "-created_at"], name="consultants_feas_status_idx")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(estimated_budget__isnull=True) | models.Q(estimated_budget__gte=0),
                name="consultants_feasibility_budget_gte_0",
            ),
        ]

    def __str__(self):
        return self.title


class ArticleStatus(models.TextChoices):
    DRAFT = "DRAFT", _("Draft")
    PUBLISHED = "PUBLISHED", _("Published")
    ARCHIVED = "ARCHIVED", _("Archived")


class Article(TimeStampedModel):
    """A consultant's publication, readable by clients once published."""

    author = models.ForeignKey(Consultant, verbose_name=_("author"), on_delete=models.PROTECT, related_name="articles")
    title = models.CharField(verbose_name=_("title"), max_length=200)
    slug = models.SlugField(verbose_name=_("slug"), max_length=220, unique=True)
    body = models.TextField(verbose_name=_("body"), blank=True)
    status = models.CharField(
        verbose_name=_("status"), max_length=16, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT
    )
    published_at = models.DateTimeField(verbose_name=_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "-published_at"], name="consultants_article_pub_idx")]

    def __str__(self):
        return self.title


class MessageStatus(models.TextChoices):
    SENT = "SENT", _("Sent")
    DELIVERED = "DELIVERED", _("Delivered")
    READ = "READ", _("Read")


class Message(TimeStampedModel):
    """A message between two users, optionally about a booking."""

    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("sender"), on_delete=models.CASCADE, related_name="sent_messages"
    )
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="received_messages",
    )
    booking = models.ForeignKey(
        Booking, verbose_name=_("booking"), null=True, blank=True, on_delete=models.SET_NULL, related_name="messages"
    )
    subject = models.CharField(verbose_name=_("subject"), max_length=200, blank=True)
    body = models.TextField(verbose_name=_("body"))
    status = models.CharField(
        verbose_name=_("status"), max_length=16, choices=MessageStatus.choices, default=MessageStatus.SENT
    )
    read_at = models.DateTimeField(verbose_name=_("read at"), null=True, blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at"]
        indexes = [
            # A user's inbox, newest first.
            models.Index(fields=["recipient", "-created_at"], name="consultants_message_inbox_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(sender=models.F("recipient")), name="consultants_message_not_to_self"
            ),
        ]

    def __str__(self):
        return self.subject or f"Message #{self.pk}"


# Per-object permissions (django-guardian) with real foreign keys rather than guardian's generic table:
# rows disappear with their object (no orphans), and lists filtered by object permission join on an
# indexed integer instead of casting a text object id.
class BookingUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Booking, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("booking user object permission")
        verbose_name_plural = _("booking user object permissions")
        abstract = False


class ReportUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Report, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("report user object permission")
        verbose_name_plural = _("report user object permissions")
        abstract = False


class FeasibilityStudyUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(FeasibilityStudy, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        verbose_name = _("feasibility study user object permission")
        verbose_name_plural = _("feasibility study user object permissions")
        abstract = False
