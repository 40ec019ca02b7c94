"""Consultants, what they offer, the sessions clients book, and what consultants deliver and publish."""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from guardian.models import UserObjectPermissionBase

from core.models import TimeStampedModel


class Specialty(TimeStampedModel):
    """A field of expertise (Economic, Financial, ...). Names are unique regardless of case."""

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "specialties"
        constraints = [models.UniqueConstraint(Lower("name"), name="consultants_specialty_name_ci_unique")]

    def __str__(self):
        return self.name


class Consultant(TimeStampedModel):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="consultant")
    bio = models.TextField(blank=True)
    hourly_rate = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    is_verified = models.BooleanField(default=False, db_index=True)
    # Legacy free-form list of expertise names, kept only as the source of `migrate_expertise_fields`.
    expertise_fields = models.JSONField(default=list, blank=True)
    specialties = models.ManyToManyField(Specialty, through="ConsultantSpecialty", related_name="consultants")

    class Meta:
        ordering = ["-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(hourly_rate__gte=0), name="consultants_consultant_rate_gte_0"),
        ]

    def __str__(self):
        return str(self.user)


class ConsultantSpecialty(models.Model):
    consultant = models.ForeignKey(Consultant, on_delete=models.CASCADE, related_name="consultant_specialties")
    specialty = models.ForeignKey(Specialty, on_delete=models.CASCADE, related_name="consultant_specialties")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "consultant specialties"
        constraints = [
            models.UniqueConstraint(
                fields=["consultant", "specialty"], name="consultants_consultantspecialty_pair_uniq"
            ),
        ]

    def __str__(self):
        return f"{self.consultant} · {self.specialty}"


class ServiceCategory(TimeStampedModel):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "service categories"

    def __str__(self):
        return self.name


class Service(TimeStampedModel):
    consultant = models.ForeignKey(Consultant, on_delete=models.CASCADE, related_name="services")
    category = models.ForeignKey(ServiceCategory, on_delete=models.PROTECT, related_name="services")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    price = models.DecimalField(max_digits=10, decimal_places=2)
    duration_minutes = models.PositiveIntegerField(default=60)
    is_active = models.BooleanField(default=True, db_index=True)

    class Meta:
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
    PENDING = "PENDING", "Pending"
    CONFIRMED = "CONFIRMED", "Confirmed"
    COMPLETED = "COMPLETED", "Completed"
    CANCELLED = "CANCELLED", "Cancelled"
    NO_SHOW = "NO_SHOW", "No show"


class Booking(TimeStampedModel):
    """A session a client booked with a consultant for one of their services."""

    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="bookings")
    consultant = models.ForeignKey(Consultant, on_delete=models.PROTECT, related_name="bookings")
    service = models.ForeignKey(Service, on_delete=models.PROTECT, related_name="bookings")
    scheduled_at = models.DateTimeField()
    status = models.CharField(max_length=16, choices=BookingStatus.choices, default=BookingStatus.PENDING)
    # The price agreed at booking time; the service's price may change later.
    price = models.DecimalField(max_digits=10, decimal_places=2)
    notes = models.TextField(blank=True)

    class Meta:
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
        return f"Booking #{self.pk} · {self.service}"


class DeliverableStatus(models.TextChoices):
    DRAFT = "DRAFT", "Draft"
    SUBMITTED = "SUBMITTED", "Submitted"
    DELIVERED = "DELIVERED", "Delivered"
    ARCHIVED = "ARCHIVED", "Archived"


class Report(TimeStampedModel):
    """A consultant's written report for a client, usually after a session."""

    consultant = models.ForeignKey(Consultant, on_delete=models.PROTECT, related_name="reports")
    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reports")
    booking = models.ForeignKey(Booking, null=True, blank=True, on_delete=models.SET_NULL, related_name="reports")
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=DeliverableStatus.choices, default=DeliverableStatus.DRAFT)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "-created_at"], name="consultants_report_status_idx")]

    def __str__(self):
        return self.title


class FeasibilityStudy(TimeStampedModel):
    """A feasibility study a consultant prepares for a client's project."""

    consultant = models.ForeignKey(Consultant, on_delete=models.PROTECT, related_name="feasibility_studies")
    client = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="feasibility_studies")
    booking = models.ForeignKey(
        Booking, null=True, blank=True, on_delete=models.SET_NULL, related_name="feasibility_studies"
    )
    title = models.CharField(max_length=200)
    summary = models.TextField(blank=True)
    body = models.TextField(blank=True)
    estimated_budget = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    status = models.CharField(max_length=16, choices=DeliverableStatus.choices, default=DeliverableStatus.DRAFT)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "feasibility studies"
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
    DRAFT = "DRAFT", "Draft"
    PUBLISHED = "PUBLISHED", "Published"
    ARCHIVED = "ARCHIVED", "Archived"


class Article(TimeStampedModel):
    """A consultant's publication, readable by clients once published."""

    author = models.ForeignKey(Consultant, on_delete=models.PROTECT, related_name="articles")
    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=220, unique=True)
    body = models.TextField(blank=True)
    status = models.CharField(max_length=16, choices=ArticleStatus.choices, default=ArticleStatus.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "-published_at"], name="consultants_article_pub_idx")]

    def __str__(self):
        return self.title


class MessageStatus(models.TextChoices):
    SENT = "SENT", "Sent"
    DELIVERED = "DELIVERED", "Delivered"
    READ = "READ", "Read"


class Message(TimeStampedModel):
    """A message between two users, optionally about a booking."""

    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="sent_messages")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="received_messages")
    booking = models.ForeignKey(Booking, null=True, blank=True, on_delete=models.SET_NULL, related_name="messages")
    subject = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    status = models.CharField(max_length=16, choices=MessageStatus.choices, default=MessageStatus.SENT)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
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
        abstract = False


class ReportUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(Report, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        abstract = False


class FeasibilityStudyUserObjectPermission(UserObjectPermissionBase):
    content_object = models.ForeignKey(FeasibilityStudy, on_delete=models.CASCADE)

    class Meta(UserObjectPermissionBase.Meta):
        abstract = False
