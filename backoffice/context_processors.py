"""What every page of the one shell (the admin's) needs: the areas for the sidebar, and on our own staff
pages the admin's context, which the admin's views give their pages themselves."""

from django.contrib import admin

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
