"""Request hygiene and the security headers every answer carries.

* ``RejectControlCharactersMiddleware`` answers 400 to an address holding a control character (NUL
  included) before any view, filter or ORM lookup sees it: PostgreSQL refuses NUL in text, and no
  legitimate link carries one.
* ``StaffSessionMiddleware`` ends a signed-in session that has been idle too long or has lived too
  long (``SESSION_IDLE_TIMEOUT_SECONDS``, ``SESSION_ABSOLUTE_TIMEOUT_SECONDS``) and marks every answer
  to a signed-in user ``Cache-Control: no-store``, so no shared or browser cache keeps a staff page.
"""

import re
import time
from urllib.parse import unquote

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponseBadRequest
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _

# C0 controls and DEL. Tabs and newlines have no business in an address either.
_CONTROL_CHARACTER = re.compile(r"[\x00-\x1f\x7f]")

SESSION_STARTED_KEY = "_session_started_at"
SESSION_SEEN_KEY = "_session_seen_at"
# The last-seen stamp is rewritten at most this often: not every request needs a session write.
SEEN_GRANULARITY_SECONDS = 60


def has_control_character(request) -> bool:
    """Whether the request's path (already decoded) or its query string (decoded here, once) holds a
    control character."""
    query = unquote(request.META.get("QUERY_STRING", "").replace("+", " "), errors="replace")
    return bool(_CONTROL_CHARACTER.search(request.path) or _CONTROL_CHARACTER.search(query))


class RejectControlCharactersMiddleware:
    """400 for a path or query string holding a control character, decoded or percent-encoded."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if has_control_character(request):
            return HttpResponseBadRequest(
                "The address holds a control character (such as a NUL byte); remove it and try again.",
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)


class StaffSessionMiddleware:
    """Idle and absolute session timeouts, and ``no-store`` on every answer to a signed-in user.

    Must come after ``AuthenticationMiddleware`` and ``MessageMiddleware``.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.user.is_authenticated and self._session_expired(request):
            # Staff sign in again on the staff sign-in page, clients on theirs (the help center's).
            login_url = None if request.user.is_staff else settings.CLIENT_LOGIN_URL
            logout(request)
            messages.info(request, _("Your session expired; please sign in again."))
            return redirect_to_login(request.get_full_path(), login_url=login_url)
        response = self.get_response(request)
        if request.user.is_authenticated:
            add_never_cache_headers(response)
        return response

    @staticmethod
    def _session_expired(request) -> bool:
        session, now = request.session, int(time.time())
        started = session.setdefault(SESSION_STARTED_KEY, now)
        seen = session.get(SESSION_SEEN_KEY, now)
        if now - seen > settings.SESSION_IDLE_TIMEOUT_SECONDS:
            return True
        if now - started > settings.SESSION_ABSOLUTE_TIMEOUT_SECONDS:
            return True
        if now - seen >= SEEN_GRANULARITY_SECONDS or SESSION_SEEN_KEY not in session:
            session[SESSION_SEEN_KEY] = now
        return False


def session_timeouts_restart(sender, request, user, **kwargs):
    """A fresh sign-in starts both clocks anew (Django keeps session data across re-signing in)."""
    if request is not None and hasattr(request, "session"):
        now = int(time.time())
        request.session[SESSION_STARTED_KEY] = now
        request.session[SESSION_SEEN_KEY] = now
