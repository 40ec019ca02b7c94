from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        # Sign-in events, lockout resets, the account page's list of sessions; and the reset-mail task, so that
        # workers know it (it lives beside its service, not in accounts.tasks).
        from accounts import audit_events, login_protection, session_tracking  # noqa: F401
        from accounts.services import passwords  # noqa: F401

        post_migrate.connect(_install_generation_triggers, sender=self, dispatch_uid="accounts.permission_generation")

        from django.core import checks

        from accounts.checks import console_providers_check, notification_lease_check, notification_providers_check

        checks.register(notification_providers_check)
        checks.register(notification_lease_check)
        checks.register(console_providers_check, deploy=True)


def _install_generation_triggers(using="default", **kwargs):
    # Again after every migrate: on SQLite, altering a table rebuilds it without its triggers.
    from django.db import connections

    from accounts.permission_cache import generation_triggers_install

    generation_triggers_install(connections[using])
