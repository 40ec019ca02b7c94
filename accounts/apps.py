from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Accounts"

    def ready(self):
        from accounts import audit_events, signals  # noqa: F401  (sign-in events; permission-cache invalidation)
