"""The help center's notification pages (/help/notifications/): a client's own in-app inbox and their choice
of channels, as staff have theirs under /account/ (``accounts.notification_views``).

Who may use the help center may use these (``support.help_views.client_required``); each person reaches
only their own notifications, and an id that is not in their inbox answers 404 as one that does not exist.
"""

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.models import Notification
from accounts.notification_pages import (
    inbox_context,
    inbox_return_url,
    mark_all_message,
    preferences_form_save,
    signed_in,
)
from accounts.services.inbox import notification_mark_read, notifications_mark_all_read
from support.help_views import client_required


@require_GET
@client_required
def inbox(request: HttpRequest) -> HttpResponse:
    context = inbox_context(request, read_url_name="help:notification_read")
    return render(request, "support/help/notifications.html", context)


@require_POST
@client_required
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        notification_mark_read(user=signed_in(request), notification_id=pk)
    except Notification.DoesNotExist:
        raise Http404(_("No such notification in your inbox.")) from None
    return redirect(inbox_return_url(request, reverse("help:notifications")))


@require_POST
@client_required
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    messages.success(request, mark_all_message(notifications_mark_all_read(user=signed_in(request))))
    return redirect(inbox_return_url(request, reverse("help:notifications")))


@require_http_methods(["GET", "POST"])
@client_required
def preferences(request: HttpRequest) -> HttpResponse:
    form = preferences_form_save(request)
    if form is None:
        return redirect("help:notification_preferences")
    status = 400 if form.is_bound else 200
    return render(request, "support/help/notification_preferences.html", {"form": form}, status=status)
