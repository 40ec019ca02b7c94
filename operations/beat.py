"""Celery beat's side of the periodic jobs: the default schedule, and the scheduler that follows the system
settings and lets only one beat send (docs/decisions/0022-celery-workers-and-periodic-jobs.md).

``celery -A config beat`` runs ``JobScheduler`` (``CELERY_BEAT_SCHEDULER``). It:

- sends only while it holds the **leader lock** in the shared cache (``core.locks``: a token, a time to
  live of ``LEADER_TTL_TICKS`` loop intervals, renewed every tick, released only by its holder). A second
  beat started by mistake stands by, asking for the lock every interval, and takes over within about
  ``LEADER_TTL_TICKS + 1`` intervals of the leader dying. Behind it stand the per-job lock the task base
  takes and jobs that are safe to run twice;
- builds its entries from ``app.conf.beat_schedule`` (every job of ``operations.jobs`` at its default
  schedule) overlaid with the system settings in force (``jobs.<name>.schedule``, ``jobs.<name>.enabled``),
  re-read every loop interval, so a change on the settings page applies without a restart; a job switched
  off is not sent;
- remembers when each job last ran from the job run records (the latest scheduled ``JobRun``) and from the
  sends the leader notes in the shared cache (sent, not yet started), instead of a local shelve file, so a
  restarted or newly leading beat neither runs a job again early nor skips one.
"""

from __future__ import annotations

import copy
import logging
import time
from datetime import datetime
from typing import Any

from celery.beat import ScheduleEntry, Scheduler
from celery.schedules import schedule as interval_schedule
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import close_old_connections, connection

from core.locks import HeldLock, lock_acquire
from operations.jobs import JOBS, JOBS_BY_NAME
from operations.schedules import schedule_parse

logger = logging.getLogger(__name__)

LEADER_LOCK = "beat:leader"
# The leader lock outlives its last renewal by this many loop intervals: room for a slow tick (a broker
# reconnecting, a slow query) without handing over, and a bound on how long a dead leader's jobs wait.
LEADER_TTL_TICKS = 3
# When the leader sent each job last (name -> aware datetime), for a beat that takes over before those runs
# started (and so before their JobRun exists).
SENT_CACHE_KEY = "beat:sent"
SENT_CACHE_SECONDS = 40 * 24 * 60 * 60  # past the longest interval (31 days)


def beat_schedule() -> dict[str, dict[str, Any]]:
    """Celery's ``beat_schedule``: every job at its default schedule (``settings.PERIODIC_JOBS``), with the
    header that marks its runs as scheduled. ``JobScheduler`` overlays the system settings in force."""
    return {
        job.name: {
            "task": job.task,
            "schedule": schedule_parse(job.default_schedule),
            "kwargs": dict(job.kwargs),
            # Celery adds celery_beat_task itself when sending; written here too so that an entry compares
            # equal to itself rebuilt from the settings (else every refresh would look like a change).
            "options": {"headers": {"job_trigger": "SCHEDULE", "celery_beat_task": True}},
        }
        for job in JOBS
    }


class JobScheduler(Scheduler):
    """A beat scheduler that sends only while leading, at the schedules in force (see the module's text)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._leader: HeldLock | None = None
        self._standing_by_logged = False
        self._refreshed_at = 0.0
        self._sent: dict[str, datetime] = {}
        super().__init__(*args, **kwargs)

    @property
    def leader_ttl(self) -> float:
        return LEADER_TTL_TICKS * self.max_interval

    def setup_schedule(self) -> None:
        # Nothing until this beat leads: a standby keeps no entries, so it can never send. The stock
        # celery.backend_cleanup entry is left out: results live in Redis, which expires them itself.
        self.data: dict[str, ScheduleEntry] = {}

    def tick(self, *args: Any, **kwargs: Any) -> float:
        if not self._lead():
            return self.max_interval
        if time.monotonic() - self._refreshed_at >= self.max_interval:
            self._entries_refresh()
        return min(super().tick(*args, **kwargs), self.max_interval)

    def reserve(self, entry: ScheduleEntry) -> ScheduleEntry:
        """Advances ``entry`` as it is sent, and notes the send where a beat taking over will read it."""
        new_entry = super().reserve(entry)
        self._sent[entry.name] = new_entry.last_run_at
        try:
            cache.set(SENT_CACHE_KEY, self._sent, SENT_CACHE_SECONDS)
        except Exception:  # the note only spares a successor a repeat; sending matters more
            logger.warning("beat: could not note the send of %s in the cache", entry.name, exc_info=True)
        return new_entry

    def close(self) -> None:
        try:
            super().close()
        finally:
            # Handing over at once on a clean stop: the standby need not wait for the lock to expire.
            if self._leader is not None:
                leader, self._leader = self._leader, None
                try:
                    leader.release()
                except Exception:  # the cache is gone: the lock expires on its own
                    logger.warning("beat: could not release the leader lock", exc_info=True)

    @property
    def info(self) -> str:
        return f"    . leader lock -> {LEADER_LOCK} (expires {self.leader_ttl:g} s after its last renewal)"

    def _lead(self) -> bool:
        """True while this beat holds the leader lock: renews it, or asks for it when standing by."""
        try:
            if self._leader is not None:
                if self._leader.renew(self.leader_ttl):
                    return True
                # A tick slower than the lock's lifetime: another beat may have led meanwhile, so this one
                # starts over as a newcomer would, its last runs read afresh.
                logger.warning("beat: the leader lock expired before this beat renewed it; asking for it again.")
                self._step_down()
            held = lock_acquire(LEADER_LOCK, timeout=self.leader_ttl)
        except Exception:
            # The cache is unreachable: nobody can prove leadership, so nobody sends until it is back.
            logger.exception("beat: cannot reach the shared cache for the leader lock; standing by.")
            self._step_down()
            return False
        if held is None:
            if not self._standing_by_logged:
                logger.info("beat: another beat leads; standing by.")
                self._standing_by_logged = True
            return False
        logger.info("beat: leading; sending the periodic jobs.")
        self._leader = held
        self._standing_by_logged = False
        try:
            self._sent = dict(cache.get(SENT_CACHE_KEY) or {})
        except Exception:
            logger.warning("beat: could not read the previous leader's sends; going by the job runs.", exc_info=True)
            self._sent = {}
        self._entries_refresh()
        return True

    def _step_down(self) -> None:
        self._leader = None
        self.data = {}
        self._heap = None
        self.old_schedulers = None

    def _entries_refresh(self) -> None:
        """Rebuilds the entries from the settings in force; keeps the heap when nothing changed."""
        self._refreshed_at = time.monotonic()
        try:
            entries = self._entries_in_force()
        except Exception:
            # A database or cache hiccup: keep sending what was in force, and try again next interval.
            logger.exception("beat: could not read the jobs' settings; keeping the schedule in force.")
            return
        if self.schedules_equal(self.data, entries):
            return
        if self.data:
            changed = set(entries) ^ set(self.data)
            changed |= {name for name in set(entries) & set(self.data) if entries[name] != self.data[name]}
            logger.info("beat: the schedule in force changed for %s.", ", ".join(sorted(changed)))
        else:
            logger.info("beat: the jobs in force: %s.", ", ".join(sorted(entries)))
        self.data = entries

    def _entries_in_force(self) -> dict[str, ScheduleEntry]:
        from operations.system_settings import system_settings_in_force

        if not connection.in_atomic_block:  # (a caller's transaction keeps its connection)
            close_old_connections()  # beat lives long: never reuse a connection the database dropped
        values = system_settings_in_force()
        entries: dict[str, ScheduleEntry] = {}
        for name, default in self.app.conf.beat_schedule.items():
            fields = copy.deepcopy(default)
            if name in JOBS_BY_NAME:
                if not values[f"jobs.{name}.enabled"]:
                    continue
                try:
                    fields["schedule"] = schedule_parse(values[f"jobs.{name}.schedule"])
                except ValidationError:
                    # Stored values are validated; a bad default from the environment is reported by the
                    # system check operations.E002. Leave that job out, not every job.
                    logger.error("beat: the schedule of %s cannot be used; not sending it.", name)
                    continue
            if isinstance(fields["schedule"], interval_schedule):
                # A message still waiting when the next one is due is worth nothing: let it expire rather
                # than pile up behind a stopped worker.
                fields["options"] = {**fields.get("options", {}), "expires": fields["schedule"].seconds}
            entry = self.Entry(**fields, name=name, app=self.app)
            current = self.data.get(name)
            entry.last_run_at = current.last_run_at if current is not None else self._last_run(name, entry)
            entries[name] = entry
        return entries

    def _last_run(self, name: str, entry: ScheduleEntry) -> datetime:
        """When ``name`` last ran on schedule: its latest scheduled JobRun or the last send noted, whichever
        is later; never run: now (it first runs one interval from now, as Celery's own scheduler does)."""
        from operations.models import JobRun, JobTrigger

        moments = [
            moment
            for moment in (
                JobRun.objects.filter(job=name, trigger=JobTrigger.SCHEDULE)
                .order_by("-started_at")
                .values_list("started_at", flat=True)
                .first(),
                self._sent.get(name),
            )
            if moment is not None
        ]
        return max(moments) if moments else entry.default_now()
