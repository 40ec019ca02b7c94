"""Demo users (staff, consultants, clients), their roles, consultant profiles and specialties."""

from datetime import datetime, timedelta
from decimal import Decimal

from accounts.models import Role, User, UserRole, UserStatus
from accounts.rbac_catalog import ADMIN, CLIENT, CONSULTANT, SUPER_ADMIN
from backoffice.demo_data.context import ConsultantRef, DemoContext
from backoffice.demo_data.vocabulary import FIRST_NAMES, LAST_NAMES, LEGACY_EXPERTISE, LEGACY_ODDITIES, SENTENCES
from billing.money import CENT
from consultants.models import Consultant, ConsultantSpecialty, Specialty
from consultants.services import DEFAULT_SPECIALTIES

DEMO_EMAIL_DOMAIN = "demo.example.com"
USER_FIELDS = (
    "id", "email", "full_name", "phone", "status", "is_staff", "is_superuser", "is_active", "password",
    "created_at", "updated_at",
)  # fmt: skip


def seed_users(ctx: DemoContext) -> None:
    """Staff first, then consultants' users, then clients; every one with the role that fits."""
    plan = ctx.plan
    ids = ctx.writer.reserve(User, plan.staff + plan.consultants + plan.clients)
    staff = ids[: plan.staff]  # a range: membership tests cost nothing
    consultant_user_ids = list(ids[plan.staff : plan.staff + plan.consultants])
    ctx.staff_ids, ctx.client_ids = list(staff), list(ids[plan.staff + plan.consultants :])
    joined = {user_id: _joined(ctx, is_staff=user_id in staff) for user_id in ids}
    rows = (_user_row(ctx, user_id, joined[user_id], is_staff=user_id in staff) for user_id in ids)
    ctx.writer.write(User, USER_FIELDS, rows)
    for moment in joined.values():
        ctx.kpis.add("new_users", moment.date())
    _seed_user_roles(ctx, joined, consultant_user_ids)
    _seed_consultants(ctx, consultant_user_ids, joined)


def _joined(ctx: DemoContext, *, is_staff: bool) -> datetime:
    # Staff were there from the start; customers kept signing up, a little faster every month.
    if is_staff:
        return ctx.moment(ctx.start - timedelta(days=120), ctx.start)
    return ctx.growing_moment(ctx.start - timedelta(days=60), ctx.now - timedelta(days=1))


def _user_row(ctx: DemoContext, user_id: int, joined: datetime, *, is_staff: bool) -> tuple:
    first, last = ctx.pick(FIRST_NAMES), ctx.pick(LAST_NAMES)
    status = UserStatus.SUSPENDED if not is_staff and ctx.rng.random() < 0.02 else UserStatus.ACTIVE
    email = ctx.user_emails[user_id] = f"{first}.{last}.{user_id}@{DEMO_EMAIL_DOMAIN}".lower()
    return (
        user_id,
        email,
        f"{first} {last}",
        f"+1555{user_id % 10_000_000:07d}",
        status,
        is_staff,
        False,
        True,
        ctx.password_hash,
        joined,
        ctx.after(joined, max_hours=24 * 90),
    )


def _seed_user_roles(ctx: DemoContext, joined: dict[int, datetime], consultant_user_ids: list[int]) -> None:
    roles = dict(Role.objects.filter(name__in=[SUPER_ADMIN, ADMIN, CONSULTANT, CLIENT]).values_list("name", "pk"))
    boss, *admins = ctx.staff_ids
    # (user, role, whether the assignment may be temporary)
    assignments = [(boss, roles[SUPER_ADMIN], False)]
    assignments += [(user_id, roles[ADMIN], True) for user_id in admins]
    assignments += [(user_id, roles[CONSULTANT], False) for user_id in consultant_user_ids]
    assignments += [(user_id, roles[CLIENT], False) for user_id in ctx.client_ids]
    ids = ctx.writer.reserve(UserRole, len(assignments))
    rows = (
        (pk, user_id, role_id, boss, joined[user_id], _role_expiry(ctx, joined[user_id]) if temporary else None)
        for pk, (user_id, role_id, temporary) in zip(ids, assignments, strict=True)
    )
    ctx.writer.write(UserRole, ("id", "user_id", "role_id", "assigned_by_id", "assigned_at", "expires_at"), rows)


def _role_expiry(ctx: DemoContext, assigned_at: datetime) -> datetime | None:
    # A few admins hold their role temporarily (contractors); some of those assignments have run out.
    if ctx.rng.random() > 0.25:
        return None
    return assigned_at + timedelta(days=ctx.rng.randint(180, 900))


def _seed_consultants(ctx: DemoContext, user_ids: list[int], joined: dict[int, datetime]) -> None:
    ids = ctx.writer.reserve(Consultant, len(user_ids))
    ctx.consultants = [ConsultantRef(pk, user_id, joined[user_id]) for pk, user_id in zip(ids, user_ids, strict=True)]
    fields = ("id", "user_id", "bio", "hourly_rate", "is_verified", "expertise_fields", "created_at", "updated_at")
    ctx.writer.write(Consultant, fields, (_consultant_row(ctx, consultant) for consultant in ctx.consultants))
    _seed_specialty_links(ctx)


def _consultant_row(ctx: DemoContext, consultant: ConsultantRef) -> tuple:
    rate = Decimal(ctx.rng.randrange(60, 400, 5)).quantize(CENT)
    bio = " ".join(ctx.rng.sample(SENTENCES, 2))
    verified = ctx.rng.random() < 0.8
    expertise = _legacy_expertise(ctx, consultant.id)
    return (consultant.id, consultant.user_id, bio, rate, verified, expertise, consultant.joined, ctx.now)


def _legacy_expertise(ctx: DemoContext, consultant_id: int) -> object:
    # One consultant in twenty has a value old forms left behind, one in twenty none; by id rather than
    # by chance, so even scale 1 gives `migrate_expertise_fields` something to report.
    if consultant_id % 20 == 1:
        return LEGACY_ODDITIES[consultant_id // 20 % len(LEGACY_ODDITIES)]
    if consultant_id % 20 == 3:
        return []
    return ctx.rng.sample(LEGACY_EXPERTISE, ctx.rng.randint(1, 3))


def _seed_specialty_links(ctx: DemoContext) -> None:
    # Profiles edited since the specialty tables arrived already have links; the migration adds the rest.
    specialty_ids = list(Specialty.objects.filter(name__in=DEFAULT_SPECIALTIES).values_list("pk", flat=True))
    pairs = [
        (consultant.id, specialty_id)
        for consultant in ctx.consultants
        for specialty_id in ctx.rng.sample(specialty_ids, ctx.rng.randint(1, 2))
    ]
    ids = ctx.writer.reserve(ConsultantSpecialty, len(pairs))
    rows = (
        (pk, consultant_id, specialty_id, ctx.now) for pk, (consultant_id, specialty_id) in zip(ids, pairs, strict=True)
    )
    ctx.writer.write(ConsultantSpecialty, ("id", "consultant_id", "specialty_id", "created_at"), rows)
