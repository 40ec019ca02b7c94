"""``manage.py seed_rbac``: the reference data every installation needs before anyone signs in."""

from typing import Any

from django.db import transaction

from accounts.services import rbac_seed
from billing.services import service_commission_seed_platform_default
from consultants.services import specialties_seed_defaults
from core.management.base import DatabaseCommand


class Command(DatabaseCommand):
    help = (
        "Seed the system roles (SUPER_ADMIN, ADMIN, CONSULTANT, CLIENT), a permission for every model of our "
        "apps (view/add/change/delete) plus the custom actions, each system role's default permissions, the "
        "default specialties and the platform-default commission. Safe to re-run: it only adds what is "
        "missing, all or nothing. It never removes or rewrites anything, so grants an admin added survive; "
        "but a default permission an admin revoked from a system role is granted again."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            rbac = rbac_seed()
            specialties = specialties_seed_defaults()
            commission = service_commission_seed_platform_default()
        if options["verbosity"] < 1:
            return
        self.stdout.write(f"roles: {rbac.roles}")
        self.stdout.write(f"permissions: {rbac.permissions}")
        self.stdout.write(f"role grants: {rbac.grants}")
        self.stdout.write(f"specialties: {specialties}")
        if commission is None:
            self.stdout.write("platform-default commission: up to date")
        else:
            self.stdout.write(
                f"platform-default commission: created, {commission.rate_percent}% "
                f"from {commission.effective_from.isoformat()}"
            )
        self.stdout.write(self.style.SUCCESS("RBAC and reference data seeded."))
