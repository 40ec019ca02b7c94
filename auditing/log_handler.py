"""A logging handler that stores WARNING-and-worse records in ``SystemLog`` without slowing anyone.

``emit`` only copies the record (with the request context of the thread that logged it) into a
bounded queue; a background thread writes queued records in batches. So logging never blocks or
fails a request, and a burst of errors costs one insert per batch. Records from the database layer
and from this module are not stored (they could recurse), nor the client errors (404, 405, 429, ...)
Django reports for visitors who are not signed in: anyone can send those without limit, and they say
nothing we could act on. When the database cannot take a batch
(down, restarting, locked), the batch goes to stderr instead and the handler carries on. A full queue
drops records and says so on stderr, rather than growing without bound.
"""

import atexit
import logging
import os
import queue
import sys
import threading
import time
import traceback as traceback_module

from core import request_context

#: Loggers whose records are never stored: the database's own, and ours, which would recurse.
EXCLUDED_LOGGERS = ("django.db", "auditing.log_handler")


class SystemLogHandler(logging.Handler):
    def __init__(self, level=logging.WARNING, batch_size: int = 200, flush_interval: float = 0.5, capacity=10_000):
        super().__init__(level)
        self.batch_size = batch_size
        self.flush_interval = flush_interval
        self._queue: queue.Queue = queue.Queue(maxsize=capacity)
        self._worker: threading.Thread | None = None
        self._worker_pid: int | None = None
        self._start_lock = threading.Lock()
        self.dropped = 0
        atexit.register(self.flush, timeout=2.0)  # a command's last warnings still reach the table

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.startswith(EXCLUDED_LOGGERS):
            return
        try:
            if _is_anonymous_client_error(record):
                return
            entry = self._entry(record)
            self._ensure_worker()
            self._queue.put_nowait(entry)
        except queue.Full:
            self.dropped += 1
            if self.dropped in (1, 100) or self.dropped % 10_000 == 0:
                print(f"system log queue full: {self.dropped} records dropped", file=sys.stderr)  # noqa: T201
        except Exception:  # logging must never break the caller
            self.handleError(record)

    def flush(self, timeout: float = 5.0) -> None:
        """Waits (up to ``timeout``) until every queued record has been written or reported."""
        deadline = time.monotonic() + timeout
        while self._queue.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)

    def _entry(self, record: logging.LogRecord) -> dict:
        context = request_context.current()
        trace = ""
        if record.exc_info:
            trace = "".join(traceback_module.format_exception(*record.exc_info))
        elif record.stack_info:
            trace = record.stack_info
        return {
            "level": _level_name(record.levelno),
            "logger": record.name[:200],
            "message": record.getMessage(),
            "traceback": trace,
            "ip_address": context.ip_address,
            "user_agent": context.user_agent,
            "request_id": context.request_id if context.ip_address or context.user_agent else "",
        }

    def _ensure_worker(self) -> None:
        # Started lazily, and again after a fork (gunicorn, Celery's prefork pool): threads do not survive.
        if self._worker is not None and self._worker_pid == os.getpid() and self._worker.is_alive():
            return
        with self._start_lock:
            if self._worker is None or self._worker_pid != os.getpid() or not self._worker.is_alive():
                self._worker_pid = os.getpid()
                self._worker = threading.Thread(target=self._run, name="system-log-writer", daemon=True)
                self._worker.start()

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            deadline = time.monotonic() + self.flush_interval
            while len(batch) < self.batch_size:
                try:
                    batch.append(self._queue.get(timeout=max(0.0, deadline - time.monotonic())))
                except queue.Empty:
                    break
            self._write(batch)
            for _ in batch:
                self._queue.task_done()

    def _write(self, batch: list[dict]) -> None:
        from django.db import connection

        from auditing.models import SystemLog

        try:
            SystemLog.objects.bulk_create([SystemLog(**entry) for entry in batch])
        except Exception as error:  # the database is unavailable: keep the records on stderr
            for entry in batch:
                print(  # noqa: T201
                    f"[system log fallback: {type(error).__name__}] {entry['level']} {entry['logger']}: "
                    f"{entry['message']}\n{entry['traceback']}",
                    file=sys.stderr,
                )
        finally:
            # Batches are rare (at most a few a second): a fresh connection each time never reuses one
            # the database dropped, and holds no connection open between bursts.
            connection.close()


def _is_anonymous_client_error(record: logging.LogRecord) -> bool:
    """Whether ``record`` is Django's report of a 4xx answered to a visitor who is not signed in.

    ``django.request`` logs every 4xx response at WARNING with the request attached. A signed-in user's
    404 may point at a broken link of ours and is kept; an anonymous one is a scanner's or a typo's.
    """
    if record.name != "django.request":
        return False
    status = getattr(record, "status_code", None)
    if not isinstance(status, int) or not 400 <= status < 500:
        return False
    user = getattr(getattr(record, "request", None), "user", None)
    return user is None or not user.is_authenticated


def _level_name(levelno: int) -> str:
    if levelno >= logging.CRITICAL:
        return "CRITICAL"
    if levelno >= logging.ERROR:
        return "ERROR"
    if levelno >= logging.WARNING:
        return "WARNING"
    return "INFO"
