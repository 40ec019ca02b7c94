from django.conf import settings
from django.urls import reverse

# Our own staff pages in the top navigation: (label, URL name, permission needed to see the link).
STAFF_PAGES = (
    ("Overview", "core:home", None),
    ("Roles & access", "accounts:role_list", "accounts.view_role"),
    ("Audit trail", "auditing:audit_list", "auditing.view_auditlog"),
    ("System log", "auditing:systemlog_list", "auditing.view_systemlog"),
)


def product(request):
    """The product's name and the navigation the signed-in user may follow, for every template."""
    context = {"PRODUCT_NAME": settings.PRODUCT_NAME, "TIME_ZONE_NAME": settings.TIME_ZONE}
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return context
    items = []
    for label, url_name, permission in STAFF_PAGES:
        if permission is None or user.has_perm(permission):
            url = reverse(url_name)
            items.append({"label": label, "url": url, "active": request.path.startswith(url) and url != "/"})
    items[0]["active"] = request.path == "/"
    context["nav_items"] = items
    return context
