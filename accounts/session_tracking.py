"""Keeps ``UserSession`` in step with sign-ins, sign-outs and use (``accounts.services.sessions`` does the writing).

* ``user_logged_in``: the session Django has just given a fresh key is recorded, with where it came from.
* ``user_logged_out``: its record goes (Django flushes the session itself right after).
* ``SessionActivityMiddleware``: a signed-in request stamps its session as seen, at most once a minute.

Signals are the one place that sees every sign-in, whichever page signs in (the admin's today).
"""

from datetime import UTC, datetime

from django.contrib.auth.signals import user_logged_in, user_logged_out
from django.dispatch import receiver

from accounts.services.sessions import user_session_forget, user_session_start, user_session_touch
from core.request_context import USER_AGENT_MAX_LENGTH, client_ip
from core.security_middleware import SESSION_STARTED_KEY


@receiver(user_logged_in, dispatch_uid="session_tracking_sign_in")
def record_session_start(sender, request, user, **kwargs):
    session_key = _session_key(request)
    if session_key:
        user_session_start(
            user=user, session_key=session_key, ip_address=client_ip(request.META), user_agent=_user_agent(request)
        )


@receiver(user_logged_out, dispatch_uid="session_tracking_sign_out")
def record_session_end(sender, request, user, **kwargs):
    session_key = _session_key(request)
    if session_key:
        user_session_forget(session_key=session_key)


class SessionActivityMiddleware:
    """Stamps a signed-in session's last-seen time and address (at most once a minute per session).

    Must come after ``AuthenticationMiddleware`` and after ``core.security_middleware.StaffSessionMiddleware``
    (a session that one ends is not stamped).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session_key = _session_key(request)
        if session_key and request.user.is_authenticated:
            user_session_touch(
                user=request.user,
                session_key=session_key,
                ip_address=client_ip(request.META),
                user_agent=_user_agent(request),
                started_at=_started_at(request),
            )
        return self.get_response(request)


def _session_key(request) -> str | None:
    session = getattr(request, "session", None) if request is not None else None
    return session.session_key if session is not None else None


def _user_agent(request) -> str:
    return request.headers.get("User-Agent", "")[:USER_AGENT_MAX_LENGTH]


def _started_at(request) -> datetime | None:
    # When the session signed in, as the session timeouts count it: the real start of a session recorded late.
    started = request.session.get(SESSION_STARTED_KEY)
    return datetime.fromtimestamp(started, tz=UTC) if isinstance(started, int) else None
