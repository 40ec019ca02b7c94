from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OperationsConfig(AppConfig):
    name = "operations"
    verbose_name = _("Jobs & settings")

    def ready(self):
        from django.core import checks

        from operations.checks import periodic_jobs_check

        checks.register(periodic_jobs_check)
