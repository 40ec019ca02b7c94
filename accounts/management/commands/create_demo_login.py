"""``manage.py create_demo_login``: the demo staff account printed by ``make run``."""

from typing import Any

from django.conf import settings
from django.core.management.base import CommandError, CommandParser

from accounts.services import RbacNotSeededError, demo_admin_ensure
from core.management.base import DatabaseCommand, refuse_unless_demo_data_allowed

DEMO_ADMIN_EMAIL = "admin@example.com"


class Command(DatabaseCommand):
    help = (
        f"Create (or repair) the demo staff login {DEMO_ADMIN_EMAIL}: an active superuser and staff member "
        "holding the SUPER_ADMIN role, which needs `seed_rbac` to have run. The password is the "
        "DEMO_ADMIN_PASSWORD setting (from the environment variable of that name; its default is in the "
        "README's Configuration table); it is set only when the account is created, or with --reset-password. "
        "For development and demos only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--reset-password", action="store_true", help="Set the password again on an existing account."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        refuse_unless_demo_data_allowed()
        line = _demo_login_ensure(reset_password=options["reset_password"])
        if options["verbosity"] >= 1:
            self.stdout.write(line)


def _demo_login_ensure(*, reset_password: bool = False) -> str:
    """Ensure the demo staff login and return the line telling how to sign in. Raises ``CommandError``."""
    password = settings.DEMO_ADMIN_PASSWORD
    try:
        result = demo_admin_ensure(email=DEMO_ADMIN_EMAIL, password=password, reset_password=reset_password)
    except RbacNotSeededError as exc:
        raise CommandError(str(exc)) from exc
    if result.password_works:
        return f"Demo login: {DEMO_ADMIN_EMAIL} / {password}"
    return (
        f"Demo login: {DEMO_ADMIN_EMAIL} (its password was changed since; "
        "`manage.py create_demo_login --reset-password` sets it back)"
    )
