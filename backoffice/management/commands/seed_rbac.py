"""``manage.py seed_rbac``: the reference data every installation needs before anyone signs in."""

from typing import Any

from backoffice.services import reference_data_seed
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
        seeded = reference_data_seed()
        if options["verbosity"] < 1:
            return
        self.stdout.write(f"roles: {seeded.rbac.roles}")
        self.stdout.write(f"permissions: {seeded.rbac.permissions}")
        self.stdout.write(f"role grants: {seeded.rbac.grants}")
        self.stdout.write(f"specialties: {seeded.specialties}")
        if seeded.commission is None:
            self.stdout.write("platform-default commission: up to date")
        else:
            self.stdout.write(
                f"platform-default commission: created, {seeded.commission.rate_percent}% "
                f"from {seeded.commission.effective_from.isoformat()}"
            )
        self.stdout.write(self.style.SUCCESS("RBAC and reference data seeded."))
