from django.apps import AppConfig


class BackofficeConfig(AppConfig):
    """The product assembled: what puts the apps together (seeding, navigation, the staff overview).

    It imports every app and no app imports it (decision 0002); it has no models.
    """

    name = "backoffice"
    verbose_name = "Back office"
