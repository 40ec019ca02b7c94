"""The signed-in person's own account (password, sessions) and the forgotten-password pages.

Django's auth views do the work (tokens, forms, ``update_session_auth_hash``); these subclasses add what
the back office asks of them: only staff, a limit on reset requests, and the other sessions ending after a
new password (``accounts.services.passwords``, ``accounts.services.sessions``).
"""

import re
from datetime import timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.sites.shortcuts import get_current_site
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.timesince import timeuntil
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from accounts.models import UserSession, UserStatus
from accounts.services import passwords, sessions
from core.access import permission_required
from core.request_context import client_ip

staff_required = permission_required()


@require_GET
@staff_required
def overview(request):
    current_key = request.session.session_key
    rows = [
        {
            "session": session,
            "device": describe_user_agent(session.user_agent),
            "current": session.session_key == current_key,
        }
        for session in sessions.user_sessions_active(user=request.user)
    ]
    return render(
        request,
        "accounts/account_overview.html",
        {"sessions": rows, "others": sum(not row["current"] for row in rows)},
    )


@require_POST
@staff_required
def session_sign_out(request, pk: int):
    try:
        sessions.user_session_end(
            user=request.user, session_id=pk, current_session_key=request.session.session_key or "", actor=request.user
        )
    except UserSession.DoesNotExist:
        raise Http404(_("No such session of yours.")) from None
    messages.success(request, _("That session is signed out."))
    return redirect("account:overview")


@require_POST
@staff_required
def sessions_sign_out_others(request):
    ended = sessions.user_sessions_end_others(
        user=request.user,
        keep_session_key=request.session.session_key,
        actor=request.user,
        reason="signed_out_elsewhere",
    )
    message = ngettext("Signed out of %(count)d other session.", "Signed out of %(count)d other sessions.", ended)
    messages.success(request, message % {"count": ended})
    return redirect("account:overview")


@method_decorator(staff_required, name="dispatch")
class PasswordChangeView(auth_views.PasswordChangeView):
    """Django's change form; this session stays signed in (with a new key), every other one ends."""

    template_name = "registration/account_password_change_form.html"
    success_url = reverse_lazy("account:password_change_done")
    extra_context = {"title": gettext_lazy("Change your password")}

    def form_valid(self, form):
        old_key = self.request.session.session_key or ""
        response = super().form_valid(form)  # saves, then update_session_auth_hash() gives the session a new key
        passwords.password_change_complete(
            user=form.user, old_session_key=old_key, new_session_key=self.request.session.session_key or ""
        )
        return response


@method_decorator(staff_required, name="dispatch")
class PasswordChangeDoneView(auth_views.PasswordChangeDoneView):
    template_name = "registration/account_password_change_done.html"
    extra_context = {"title": gettext_lazy("Password changed")}


class PasswordResetView(auth_views.PasswordResetView):
    """Asks for an address and answers "check your inbox", whether or not it has an account.

    Over the limit (per address typed or per client address) the form says so with 429, again whatever
    the address. The mail itself is sent by a task (``accounts.services.passwords``).
    """

    form_class = passwords.StaffPasswordResetForm
    template_name = "registration/password_reset_form.html"
    success_url = reverse_lazy("account:password_reset_done")
    extra_context = {"title": gettext_lazy("Forgot your password?")}

    def get_context_data(self, **kwargs):
        now = timezone.now()
        expires = now + timedelta(seconds=settings.PASSWORD_RESET_TIMEOUT)
        return super().get_context_data(**kwargs, timeout_text=timeuntil(expires, now))

    def form_valid(self, form):
        email = form.cleaned_data["email"]
        address = client_ip(self.request.META)
        if not passwords.password_reset_request_allowed(email=email, ip_address=address):
            form.add_error(
                None,
                _("Too many password reset requests for this address or from this network. Try again in an hour."),
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        passwords.password_reset_request(
            email=email,
            domain=get_current_site(self.request).domain,
            use_https=self.request.is_secure(),
            requested_from=address,
        )
        return HttpResponseRedirect(self.get_success_url())


class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "registration/password_reset_done.html"
    extra_context = {"title": gettext_lazy("Check your inbox")}


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    """Django's link check and new-password form; the link works only for an account that may still sign in,
    and a new password signs out every session of the account."""

    template_name = "registration/password_reset_confirm.html"
    success_url = reverse_lazy("account:password_reset_complete")
    extra_context = {"title": gettext_lazy("Choose a new password")}

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        if user is None or not (user.is_active and user.is_staff and user.status == UserStatus.ACTIVE):
            return None
        return user

    def form_valid(self, form):
        response = super().form_valid(form)
        passwords.password_reset_complete(user=form.user)
        return response


class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "registration/password_reset_complete.html"
    extra_context = {"title": gettext_lazy("Password changed")}


# Browser families in the order they must be tried: Edge and Opera also say "Chrome", Chrome also says "Safari".
_BROWSERS = (
    ("Edge", r"Edg(?:e|A|iOS)?/(\d+)"),
    ("Opera", r"OPR/(\d+)"),
    ("Firefox", r"(?:Firefox|FxiOS)/(\d+)"),
    ("Chromium", r"Chromium/(\d+)"),
    ("Chrome", r"(?:HeadlessChrome|Chrome|CriOS)/(\d+)"),
    ("Safari", r"Version/(\d+).*Safari/"),
)
_SYSTEMS = (
    ("iPhone", "iOS"),
    ("iPad", "iPadOS"),
    ("Android", "Android"),
    ("Windows", "Windows"),
    ("Mac OS X", "macOS"),
    ("CrOS", "ChromeOS"),
    ("Linux", "Linux"),
)


def describe_user_agent(user_agent: str) -> str:
    """A short "Browser 120 on System" for a User-Agent header; the header itself (shortened) if unknown."""
    browser = next(
        (f"{name} {match.group(1)}" for name, pattern in _BROWSERS if (match := re.search(pattern, user_agent))), ""
    )
    system = next((name for token, name in _SYSTEMS if token in user_agent), "")
    if browser and system:
        return _("%(browser)s on %(system)s") % {"browser": browser, "system": system}
    return browser or system or (user_agent[:60] if user_agent else _("Unknown device"))
