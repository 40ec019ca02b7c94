from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SupportConfig(AppConfig):
    name = "support"
    verbose_name = _("Support desk")

    def ready(self):
        from django.core import checks

        from core.derived_grants import derived_grants_register
        from support.checks import sla_settings_check

        checks.register(sla_settings_check)
        from support.services import TICKET_ASSIGNEE_GRANTS

        # A ticket's assignee may view and change it while it is theirs, however it changes hands.
        derived_grants_register(TICKET_ASSIGNEE_GRANTS)
