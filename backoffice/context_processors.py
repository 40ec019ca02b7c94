"""What every page of the one shell (the admin's) needs: the areas for the sidebar, the unread count for the
header's bell, and on our own staff pages the admin's context, which the admin's views give their pages
themselves."""

from functools import cached_property

from django.contrib import admin

from accounts.notification_selectors import UNREAD_COUNT_CAP, inbox_unread_count
from backoffice.navigation import areas_for_request, current_location


def navigation(request):
    """The areas and pages the signed-in user may open (``nav_areas``) and where the page is in them
    (``nav_location``). Both are computed when a template first uses them, once per request."""
    return {
        "nav_areas": lambda: areas_for_request(request),
        "nav_location": lambda: current_location(request),
    }


def admin_shell(request):
    """``admin.site.each_context(request)`` for pages the admin's views do not draw (the staff pages, the
    error pages), so they stand in the same shell: sidebar, user tools, theme toggle.

    Admin views give it themselves, so it is not computed twice there. Permission checks come from the
    cached RBAC backend: no query is added.
    """
    match = getattr(request, "resolver_match", None)
    if match is not None and admin.site.name in match.namespaces and match.url_name is not None:
        return {}
    return admin.site.each_context(request)


class InboxBadge:
    """The signed-in person's unread in-app notifications, for the bell in the header.

    Counted when a template first asks (``inbox_badge.count``), once per request, from the cache while it is
    warm (``accounts.notification_selectors.inbox_unread_count``): a page that draws no bell costs nothing.
    """

    def __init__(self, user):
        self.user = user

    @cached_property
    def count(self) -> int:
        if not (self.user.is_authenticated and self.user.is_active):
            return 0
        return inbox_unread_count(user=self.user)

    @property
    def capped(self) -> bool:
        """Whether there are more unread than the count went up to (shown as "99+")."""
        return self.count >= UNREAD_COUNT_CAP

    @property
    def most_counted(self) -> int:
        return UNREAD_COUNT_CAP - 1

    @property
    def display(self) -> str:
        return f"{self.most_counted}+" if self.capped else str(self.count)


def inbox(request):
    """``inbox_badge``: the signed-in person's unread count for the header's bell (see ``InboxBadge``)."""
    return {"inbox_badge": InboxBadge(request.user)}
