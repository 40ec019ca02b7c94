from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AuditingConfig(AppConfig):
    name = "auditing"
    verbose_name = _("Audit trail")

    def ready(self) -> None:
        from auditing import db_context  # noqa: F401 (connects the context pusher to new connections)

        # After every migrate (all apps' migrations applied): capture triggers for every domain table.
        post_migrate.connect(_install_capture_triggers, sender=self, dispatch_uid="auditing.capture")


def _install_capture_triggers(sender, using: str = "default", **kwargs) -> None:
    from auditing.capture import capture_triggers_install

    capture_triggers_install(using)
