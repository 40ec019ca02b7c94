from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Core"

    def ready(self):
        from django.contrib.auth.signals import user_logged_in

        from core.security_middleware import session_timeouts_restart

        user_logged_in.connect(session_timeouts_restart, dispatch_uid="session_timeouts_restart")
