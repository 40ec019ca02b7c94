from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ConsultantsConfig(AppConfig):
    name = "consultants"
    verbose_name = _("Consultants")

    def ready(self):
        from consultants.ownership import CONSULTANT_OWNERSHIP
        from core.derived_grants import derived_grants_register

        # A consultant's bookings, reports and studies are theirs to view and change (consultants.ownership).
        derived_grants_register(*CONSULTANT_OWNERSHIP)
