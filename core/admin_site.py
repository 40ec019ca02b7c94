"""The product's admin site: its name, and who may enter at all."""

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.apps import AdminConfig


class BackOfficeAdminSite(admin.AdminSite):
    """Django's admin site, entered only by active staff who hold at least one permission.

    Django lets any active ``is_staff`` user in, even with no permission left (a role that expired,
    a suspended account whose session is still open); they would see an empty index and the password
    pages. Here they are sent to sign in instead: deny by default.
    """

    @property
    def site_header(self):
        return settings.PRODUCT_NAME

    @property
    def site_title(self):
        return settings.PRODUCT_NAME

    index_title = "Administration"

    def has_permission(self, request) -> bool:
        user = request.user
        return bool(
            user.is_active
            and user.is_staff
            and not getattr(user, "is_suspended", False)
            and (user.is_superuser or user.get_all_permissions())
        )


class BackOfficeAdminConfig(AdminConfig):
    default_site = "core.admin_site.BackOfficeAdminSite"
