from django.contrib import admin
from django.urls import include, path

from backoffice import views as backoffice_views

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),  # set_language: the shell's language switcher
    path("favicon.ico", backoffice_views.favicon, name="favicon"),
    path("staff/access/", include("accounts.urls")),
    path("account/", include("accounts.account_urls")),
    path("search/", include("search.urls")),
    path("files/", include("attachments.urls")),
    path("staff/", include("auditing.urls")),
    path("", include("core.urls")),
    path("", include("backoffice.urls")),
]

# The error pages stand in the shell; 403 names who can grant access, 500 queries nothing.
handler403 = "backoffice.views.permission_denied"
handler500 = "core.views.server_error"
