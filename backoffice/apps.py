from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BackofficeConfig(AppConfig):
    """The product assembled: what puts the apps together (seeding, navigation, the staff overview).

    It imports every app and no app imports it (decision 0002); it has no models.
    """

    name = "backoffice"
    verbose_name = _("Back office")
