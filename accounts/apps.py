from django.apps import AppConfig
from django.db.models.signals import post_migrate


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from accounts import audit_events, login_protection  # noqa: F401  (sign-in events, lockout resets)

        post_migrate.connect(_install_generation_triggers, sender=self, dispatch_uid="accounts.permission_generation")


def _install_generation_triggers(using="default", **kwargs):
    # Again after every migrate: on SQLite, altering a table rebuilds it without its triggers.
    from django.db import connections

    from accounts.permission_cache import generation_triggers_install

    generation_triggers_install(connections[using])
