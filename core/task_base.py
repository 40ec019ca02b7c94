"""The base class of every Celery task here: the task is the actor of what it does.

``config.celery`` makes it the app's task class, so ``@shared_task`` functions get it without asking.
Celery's worker calls an overridden ``__call__`` (not just ``run``), and so does a direct call.
"""

from celery import Task

from core.request_context import bind_system_actor


class SystemActorTask(Task):
    def __call__(self, *args, **kwargs):
        # "system: user_roles_expiry_task" in the audit trail and system log.
        with bind_system_actor(self.name.rpartition(".")[2]):
            return super().__call__(*args, **kwargs)
