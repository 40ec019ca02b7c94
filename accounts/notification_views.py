"""The signed-in staff member's own notifications: the in-app inbox and the choice of channels.

Mounted under /account/ (``accounts.account_urls``): every active staff member reaches their own, whatever
their roles, and nobody reaches anyone else's (an id that is not in one's own inbox answers 404, as one
that does not exist). Reading never changes anything; marking read is a POST. The unread count the pages
show is the header's (``inbox_badge``, from ``backoffice.context_processors.inbox``).
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
from core.access import permission_required

staff_required = permission_required()


@require_GET
@staff_required
def inbox(request: HttpRequest) -> HttpResponse:
    context = inbox_context(request, read_url_name="account:notification_read")
    context["read_all_url"] = reverse("account:notifications_read_all")
    return render(request, "accounts/notification_inbox.html", context)


@require_POST
@staff_required
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        notification_mark_read(user=signed_in(request), notification_id=pk)
    except Notification.DoesNotExist:
        raise Http404(_("No such notification in your inbox.")) from None
    return redirect(inbox_return_url(request, reverse("account:inbox")))


@require_POST
@staff_required
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    messages.success(request, mark_all_message(notifications_mark_all_read(user=signed_in(request))))
    return redirect(inbox_return_url(request, reverse("account:inbox")))


@require_http_methods(["GET", "POST"])
@staff_required
def preferences(request: HttpRequest) -> HttpResponse:
    form = preferences_form_save(request)
    if form is None:
        return redirect("account:notification_preferences")
    status = 400 if form.is_bound else 200
    return render(request, "accounts/notification_preferences.html", {"form": form}, status=status)
