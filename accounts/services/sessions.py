"""A user's signed-in sessions: keeping ``UserSession`` in step with Django's sessions, and ending them.

Django keeps sessions in ``django_session`` without saying whose they are (the user id sits inside the
encoded data), so ``UserSession`` mirrors each signed-in one: written on sign-in, touched at most once a
minute while in use, removed on sign-out (``accounts.session_tracking``) and by the periodic
``user_sessions_cleanup`` once its session is gone. Ending a session deletes its ``django_session`` row
through the session engine, so the browser holding it is signed out on its next request.

A session key is a bearer credential: audit events name a session by its ``UserSession`` id, never its key.
"""

import hashlib
from datetime import datetime
from importlib import import_module

from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from accounts.models import User, UserSession
from auditing.models import AuditAction
from auditing.services import audit_record

#: A session's last-seen time is written at most this often.
TOUCH_INTERVAL_SECONDS = 60


def user_sessions_active(*, user: User) -> QuerySet[UserSession]:
    """``user``'s sessions whose ``django_session`` row still exists and has not expired, last seen first."""
    live = Session.objects.filter(session_key=OuterRef("session_key"), expire_date__gt=timezone.now())
    return UserSession.objects.filter(user=user).filter(Exists(live))


def user_session_start(
    *, user: User, session_key: str, ip_address: str | None, user_agent: str, started_at: datetime | None = None
) -> UserSession:
    """Records that ``user`` signed in with ``session_key`` (or takes over the row if the key is known)."""
    now = timezone.now()
    session, _ = UserSession.objects.update_or_create(
        session_key=session_key,
        defaults={
            "user": user,
            "ip_address": ip_address,
            "user_agent": user_agent,
            "created_at": started_at or now,
            "last_seen_at": now,
        },
    )
    return session


def user_session_touch(
    *, user: User, session_key: str, ip_address: str | None, user_agent: str, started_at: datetime | None = None
) -> bool:
    """Stamps the session as seen now, from ``ip_address``, unless that was done within the last minute.

    A signed-in session without a row (opened before sessions were tracked, or given a new key by a
    password change elsewhere, such as the admin's) gets one, started at ``started_at``. Returns whether
    anything was written. The once-a-minute guard lives in the cache, so a busy page costs no write.
    """
    if not cache.add(_touch_cache_key(session_key), True, timeout=TOUCH_INTERVAL_SECONDS):
        return False
    updated = UserSession.objects.filter(session_key=session_key, user=user).update(
        last_seen_at=timezone.now(), ip_address=ip_address
    )
    if not updated:
        user_session_start(
            user=user, session_key=session_key, ip_address=ip_address, user_agent=user_agent, started_at=started_at
        )
    return True


def user_session_forget(*, session_key: str) -> None:
    """Drops the row of a session that is being signed out (its ``django_session`` row goes with it)."""
    UserSession.objects.filter(session_key=session_key).delete()


def user_session_rekey(*, old_key: str, new_key: str) -> None:
    """Moves a session's row to the key Django gave it (``cycle_key``: after a password change)."""
    if old_key and new_key and old_key != new_key:
        UserSession.objects.filter(session_key=old_key).update(session_key=new_key)


def user_session_end(*, user: User, session_id: int, current_session_key: str, actor: User) -> None:
    """Signs out one of ``user``'s other sessions: its ``django_session`` row and its record go; a LOGOUT
    event names it.

    Raises ``UserSession.DoesNotExist`` when the id is not one of ``user``'s sessions, or is the current one
    (which is ended by signing out).
    """
    with transaction.atomic():
        session = (
            UserSession.objects.select_for_update()
            .filter(user=user)
            .exclude(session_key=current_session_key)
            .get(pk=session_id)
        )
        _sessions_delete([session])
        audit_record(
            action=AuditAction.LOGOUT,
            entity=user,
            actor=actor,
            changes={"event": "session_ended", "session": session.pk, "ip_address": session.ip_address},
        )


def user_sessions_end_others(*, user: User, keep_session_key: str | None, actor: User | None, reason: str) -> int:
    """Signs out every tracked session of ``user`` but ``keep_session_key`` (None: all of them).

    Records one LOGOUT event with ``reason`` and the sessions ended, when there were any; returns their
    number. Call it inside the transaction of the change that asks for it (a new password).
    """
    with transaction.atomic():
        sessions = list(
            UserSession.objects.select_for_update().filter(user=user).exclude(session_key=keep_session_key or "")
        )
        if not sessions:
            return 0
        _sessions_delete(sessions)
        audit_record(
            action=AuditAction.LOGOUT,
            entity=user,
            actor=actor,
            changes={"event": "sessions_ended", "reason": reason, "sessions": [session.pk for session in sessions]},
        )
    return len(sessions)


def user_sessions_cleanup(*, batch_size: int = 5_000) -> int:
    """Periodic: deletes the rows of sessions that are gone or expired (``clearsessions`` may not have run).

    Deletes in batches of ``batch_size``; returns how many rows went.
    """
    now = timezone.now()
    live = Session.objects.filter(session_key=OuterRef("session_key"), expire_date__gt=now)
    deleted = 0
    while True:
        batch = list(UserSession.objects.filter(~Exists(live)).values_list("pk", flat=True)[:batch_size])
        if not batch:
            return deleted
        deleted += UserSession.objects.filter(pk__in=batch).delete()[0]


def _sessions_delete(sessions: list[UserSession]) -> None:
    # Through the engine, so a cached session (cached_db) goes from the cache too.
    store = import_module(settings.SESSION_ENGINE).SessionStore
    for session in sessions:
        store(session_key=session.session_key).delete()
    UserSession.objects.filter(pk__in=[session.pk for session in sessions]).delete()


def _touch_cache_key(session_key: str) -> str:
    # The key itself stays out of the cache's key space (and so out of any cache dump or monitor).
    return "session-seen:" + hashlib.sha256(session_key.encode()).hexdigest()[:32]
