from django.apps import AppConfig


class ConsultantsConfig(AppConfig):
    name = "consultants"
    verbose_name = "Consultants"

    def ready(self):
        from consultants.ownership import CONSULTANT_OWNERSHIP
        from core.derived_grants import derived_grants_register

        # A consultant's bookings, reports and studies are theirs to view and change (consultants.ownership).
        derived_grants_register(*CONSULTANT_OWNERSHIP)
