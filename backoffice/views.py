from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.exceptions import PermissionDenied
from django.http import HttpResponsePermanentRedirect
from django.shortcuts import render
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_GET

from backoffice import selectors
from backoffice.navigation import areas_for_request
from core.access import is_active_staff


@require_GET
@login_required
def home(request):
    """The staff landing page: the areas this user may work on and the live counts of those areas.

    Active staff only (others get the friendly 403). Staff who may open nothing yet (no role, or a
    role that has expired) are told so, with the names of who can grant them access.
    """
    if not is_active_staff(request.user):
        raise PermissionDenied
    areas = areas_for_request(request) if admin.site.has_permission(request) else []
    context: dict[str, object] = {"areas": areas}
    if areas:
        context["counts"] = selectors.home_counts(user=request.user)
        context["verdict"] = selectors.audit_chain_verdict_for(user=request.user)
    else:
        context["granters"] = selectors.access_granters()
    return render(request, "backoffice/home.html", context)


@requires_csrf_token
def permission_denied(request, exception=None):
    """The 403 page, inside the shell, naming who can grant access (``handler403``).

    An admin view's refusal comes without the admin's context (the context processor leaves admin
    pages to their views), so it is given here: the sidebar shows on every 403.
    """
    context: dict[str, object] = {}
    if getattr(request, "user", None) is not None and request.user.is_authenticated:
        context = {**admin.site.each_context(request), "granters": selectors.access_granters()}
    return render(request, "403.html", context, status=403)


@require_GET
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page links: send them to the real icon for good."""
    return HttpResponsePermanentRedirect(staticfiles_storage.url("favicon.svg"))
