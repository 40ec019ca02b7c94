"""The Celery application and the one beat schedule of every periodic job.

Worker settings come from Django settings (``CELERY_*``, chosen for reliability: decision 0022). Beat runs
``operations.beat.JobScheduler`` (``CELERY_BEAT_SCHEDULER``): only the beat holding the leader lock sends,
at the schedules in force on the system settings page.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

# Every task binds itself as the acting "system: <task name>", and a task that runs a periodic job records
# the run, takes the job's lock and honours its on/off switch (operations.task_base).
app = Celery("backoffice", task_cls="operations.task_base:PeriodicJobTask")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _beat_schedule(sender, **kwargs):
    """Every periodic job, at its default schedule (settings.PERIODIC_JOBS); the jobs are listed in
    operations.jobs and nowhere else. Beat's scheduler (operations.beat.JobScheduler) overlays the system
    settings page's schedules and switches while it runs."""
    from operations.beat import beat_schedule

    sender.conf.beat_schedule = beat_schedule()
