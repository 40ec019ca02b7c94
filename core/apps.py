from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = _("Core")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from core.security_middleware import session_timeouts_restart

        user_logged_in.connect(session_timeouts_restart, dispatch_uid="session_timeouts_restart")
