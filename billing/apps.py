from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BillingConfig(AppConfig):
    name = "billing"
    verbose_name = _("Billing")

    def ready(self):
        from django.core import checks

        from billing.checks import currency_settings_check

        checks.register(currency_settings_check)
