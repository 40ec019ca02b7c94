"""Writes that span every app: seeding the reference data every installation needs, and the demo data."""

from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.hashers import make_password
from django.db import connection, transaction

from accounts.models import User
from accounts.services import RbacSeedResult, rbac_seed
from attachments.storage import attachment_storage
from auditing.capture import capture_pause_in_transaction
from auditing.chain import audit_chain_verify
from auditing.partitions import audit_partitions_ensure
from backoffice import demo_data
from backoffice.demo_data.context import DemoContext
from backoffice.demo_data.plan import DemoPlan
from backoffice.demo_data.writer import TableWriter
from billing.models import ServiceCommission
from billing.services import service_commission_seed_platform_default
from consultants.services import specialties_seed_defaults
from core.seeding import SeedTally

# Every demo user signs in with this password (hashed once: a slow hash per user would take hours).
DEMO_USER_PASSWORD = "demo-user-2026"  # noqa: S105 (documented in --help; demo accounts only)


@dataclass(frozen=True)
class ReferenceDataSeedResult:
    rbac: RbacSeedResult
    specialties: SeedTally
    # The platform-default commission rule created by this run; None when an active one was there.
    commission: ServiceCommission | None


@dataclass(frozen=True)
class DemoSeedResult:
    created: bool
    # Rows written per model label ("consultants.Booking": 1000, ...); empty when nothing was created.
    counts: dict[str, int]


@transaction.atomic
def reference_data_seed() -> ReferenceDataSeedResult:
    """Create whatever is missing of the reference data every installation needs before anyone signs in:
    the system roles, the permission catalog and the roles' default grants (``accounts.services.rbac_seed``),
    the default specialties (``consultants``) and the platform-default commission (``billing``).

    Only adds, all or nothing, safe to re-run: each part keeps what an admin added or changed (see the
    three services for what "missing" means to each). Run by ``manage.py seed_rbac`` and by the demo seeding.
    """
    return ReferenceDataSeedResult(
        rbac=rbac_seed(),
        specialties=specialties_seed_defaults(),
        commission=service_commission_seed_platform_default(),
    )


def demo_data_present() -> bool:
    """Whether the demo data is already there: any user with an e-mail address at the demo domain."""
    return User.objects.filter(email__iendswith=f"@{demo_data.DEMO_EMAIL_DOMAIN}").exists()


def demo_data_seed(
    *,
    plan: DemoPlan,
    seed: int,
    progress: Callable[[int], object] = lambda rows: None,
    on_stage: Callable[[str], object] = lambda stage: None,
) -> DemoSeedResult:
    """Fill every table with linked demo rows sized by ``plan``, reproducibly for a given ``seed``.

    Does nothing (``created=False``) when ``demo_data_present()``. Seeds the reference data first
    (``reference_data_seed``, idempotent). All or nothing: the rows are written in
    one transaction, and the demo files it stored are deleted again if anything fails; the audit trail is
    then sealed and verified. ``progress`` is
    called with the number of rows written as they are written, ``on_stage`` with what it works on now.
    """
    stored_files: list[str] = []
    try:
        with transaction.atomic():
            if demo_data_present():
                return DemoSeedResult(created=False, counts={})
            # The demo brings its own two years of history; capturing its bulk writes would bury it.
            capture_pause_in_transaction()
            reference_data_seed()
            writer = TableWriter(connection=connection, progress=progress)
            password_hash = make_password(DEMO_USER_PASSWORD)
            ctx = DemoContext.create(seed=seed, plan=plan, writer=writer, password_hash=password_hash)
            # The audit trail is partitioned by month: the demo's two years of history need their months.
            audit_partitions_ensure(since=ctx.start)
            stored_files = ctx.stored_files
            for step in demo_data.STEPS:
                on_stage(step.__name__.removeprefix("seed_").replace("_", " "))
                step(ctx)
            writer.finish()
            # PostgreSQL checks the deferred foreign keys of every row now: a long, silent minute at scale 1000.
            on_stage("committing")
    except BaseException:
        # Files are outside the transaction: remove what this run stored so a failure leaves nothing.
        storage = attachment_storage()
        for name in stored_files:
            storage.delete(name)
        raise
    # Sealed and verified at once, so the audit trail shows a verified, sealed head from the first page.
    on_stage("sealing the audit trail")
    audit_chain_verify(full=True)
    return DemoSeedResult(created=True, counts=dict(writer.counts))
