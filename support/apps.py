from django.apps import AppConfig


class SupportConfig(AppConfig):
    name = "support"
    verbose_name = "Support desk"

    def ready(self):
        from core.derived_grants import derived_grants_register
        from support.services import TICKET_ASSIGNEE_GRANTS

        # A ticket's assignee may view and change it while it is theirs, however it changes hands.
        derived_grants_register(TICKET_ASSIGNEE_GRANTS)
