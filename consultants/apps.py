from django.apps import AppConfig


class ConsultantsConfig(AppConfig):
    name = "consultants"
    verbose_name = "Consultants"

    def ready(self):
        from consultants import signals  # noqa: F401  (keeps ownership permissions in step)
