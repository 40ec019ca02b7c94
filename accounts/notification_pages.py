"""What the notification pages of the back office (``accounts.notification_views``) and of the help center
(``support.help_inbox_views``) share: the inbox's page and its links, the messages, the preferences form's save.
"""

from typing import cast
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.forms import NotificationPreferencesForm
from accounts.models import User
from accounts.notification_selectors import inbox_page, notification_preferences_for
from accounts.services.preferences import notification_preferences_set
from core.keyset import BadPageToken

INBOX_PAGE_SIZE = 25
UNREAD, ALL = "unread", "all"


def signed_in(request: HttpRequest) -> User:
    """The request's user, whom the view's access check has already let through as signed in."""
    return cast(User, request.user)


def inbox_context(request: HttpRequest, *, read_url_name: str) -> dict:
    """What an inbox page shows: the requested page of the signed-in person's inbox (all or unread; the
    newest page, with a message, for a page link we did not make), each notification with the address
    that marks it read (``read_url_name``, taking its id)."""
    unread_only = request.GET.get("show") == UNREAD
    try:
        page = inbox_page(
            user=signed_in(request),
            unread_only=unread_only,
            before=request.GET.get("before", ""),
            after=request.GET.get("after", ""),
            size=INBOX_PAGE_SIZE,
        )
    except BadPageToken:
        messages.warning(request, _("That page link is not valid; showing the newest notifications."))
        page = inbox_page(user=signed_in(request), unread_only=unread_only, size=INBOX_PAGE_SIZE)
    return {
        "page": page,
        "rows": [(notification, reverse(read_url_name, args=[notification.pk])) for notification in page.rows],
        "show": UNREAD if unread_only else ALL,
        "filter_query": urlencode({"show": UNREAD}) if unread_only else "",
    }


def inbox_return_url(request: HttpRequest, inbox_url: str) -> str:
    """The inbox again, showing what the form was posted from (only a value we offer)."""
    return f"{inbox_url}?{urlencode({'show': UNREAD})}" if request.POST.get("show") == UNREAD else inbox_url


def mark_all_message(marked: int) -> str:
    if not marked:
        return _("Nothing was unread.")
    return ngettext("Marked %(count)d notification as read.", "Marked %(count)d notifications as read.", marked) % {
        "count": marked
    }


def preferences_form_save(request: HttpRequest) -> NotificationPreferencesForm | None:
    """The signed-in person's preferences form, bound to the POST if there is one and then saved through
    ``notification_preferences_set`` (with a message); None once saved. A refusal is put on the form."""
    form = NotificationPreferencesForm(
        request.POST if request.method == "POST" else None,
        preferences=notification_preferences_for(user=signed_in(request)),
    )
    if not form.is_bound or not form.is_valid():
        return form
    try:
        notification_preferences_set(user=signed_in(request), enabled=form.enabled())
    except ValidationError as refusal:
        form.add_error(None, refusal)
        return form
    messages.success(request, _("Your notification preferences are saved."))
    return None
