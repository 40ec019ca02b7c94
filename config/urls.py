from django.conf import settings
from django.conf.urls.static import static
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
    path("staff/support/", include("support.urls")),
    path("staff/finance/", include("billing.urls")),
    path("staff/operations/", include("operations.urls")),
    path("help/", include("support.help_urls")),
    path("", include("core.urls")),
    path("", include("backoffice.urls")),
]

# Public attachments at MEDIA_URL while developing (static() adds nothing unless DEBUG); in production the web
# server serves MEDIA_ROOT. Private files live elsewhere (PRIVATE_MEDIA_ROOT) and have no URL.
urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# The error pages stand in the shell; 403 names who can grant access, 500 queries nothing.
handler403 = "backoffice.views.permission_denied"
handler500 = "core.views.server_error"
