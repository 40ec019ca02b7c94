"""The base class of every periodic job's task: one run at a time, switched on or off at run time, recorded.

A task named in ``operations.jobs.JOBS`` runs its body only when:
- the job is switched on (``jobs.<name>.enabled``), unless staff asked for this run by name ("run now");
- no other run of the job holds its lock (``job_lock_key``, ``core.locks.single_run``: released only by
  its holder, and renewed while the run lasts, so a long run keeps it and a killed one frees it within
  ``JOB_LOCK_SECONDS``).
Every call, run or skipped, leaves a ``JobRun``: start, duration, outcome, the error, and what the task
returned. An exception is recorded and raised again, so the task's own retry policy still applies.
A task that is not a periodic job (a thumbnail, a notification kick) runs as a plain task.
"""

import traceback

from core.locks import single_run
from core.task_base import SystemActorTask
from operations.jobs import job_for_task
from operations.models import JobOutcome, JobTrigger

# A dead run's lock is free again this long after its last renewal (every JOB_LOCK_RENEW_SECONDS).
JOB_LOCK_SECONDS = 60
JOB_LOCK_RENEW_SECONDS = 15


def job_lock_key(job_name: str) -> str:
    """The lock every run of ``job_name`` takes, whoever starts it (beat, "run now", a redelivery)."""
    return f"job:{job_name}"


class PeriodicJobTask(SystemActorTask):
    def __call__(self, *args, **kwargs):
        from operations import services

        job = job_for_task(self.name, kwargs)
        if job is None:
            return super().__call__(*args, **kwargs)
        trigger = _header(self.request, "job_trigger") or JobTrigger.SCHEDULE
        requested_by_id = _header(self.request, "job_requested_by")
        run = services.job_run_started(
            job=job,
            trigger=trigger,
            requested_by_id=requested_by_id,
            task_id=self.request.id or "",
            worker=self.request.hostname or "",
        )
        if trigger != JobTrigger.MANUAL and not services.job_enabled(job):
            services.job_run_finished(run, outcome=JobOutcome.SKIPPED, result={"skipped": "switched off"})
            return None
        lock = single_run(job_lock_key(job.name), timeout=JOB_LOCK_SECONDS, renew_every=JOB_LOCK_RENEW_SECONDS)
        with lock as holding:
            if not holding:
                services.job_run_finished(run, outcome=JobOutcome.SKIPPED, result={"skipped": "already running"})
                return None
            try:
                result = super().__call__(*args, **kwargs)
            except BaseException as error:
                services.job_run_finished(
                    run,
                    outcome=JobOutcome.FAILED,
                    error="".join(traceback.format_exception_only(type(error), error)).strip()
                    + "\n\n"
                    + traceback.format_exc(limit=-8),
                )
                raise
        services.job_run_finished(run, outcome=JobOutcome.SUCCEEDED, result=result)
        return result


def _header(request, name: str):
    """A custom message header: a worker puts it on the request, an eager call keeps it in ``headers``."""
    return request.get(name) or (request.headers or {}).get(name)
