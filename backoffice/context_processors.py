from django.urls import reverse

from accounts.rbac_catalog import VIEW_AUDIT_LOG, VIEW_ROLE, VIEW_SYSTEM_LOG

# Our own staff pages in the top navigation: (label, URL name, permission needed to see the link).
STAFF_PAGES = (
    ("Overview", "backoffice:home", None),
    ("Roles & access", "accounts:role_list", VIEW_ROLE),
    ("Audit trail", "auditing:audit_list", VIEW_AUDIT_LOG),
    ("System log", "auditing:systemlog_list", VIEW_SYSTEM_LOG),
)


def navigation(request):
    """The staff pages the signed-in user may follow (``nav_items``), for every template."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    items = []
    for label, url_name, permission in STAFF_PAGES:
        if permission is None or user.has_perm(permission):
            url = reverse(url_name)
            items.append({"label": label, "url": url, "active": request.path.startswith(url) and url != "/"})
    items[0]["active"] = request.path == "/"
    return {"nav_items": items}
