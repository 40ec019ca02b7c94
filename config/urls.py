from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("admin/", admin.site.urls),
    path("staff/access/", include("accounts.urls")),
    path("account/", include("accounts.account_urls")),
    path("search/", include("search.urls")),
    path("staff/", include("auditing.urls")),
    path("", include("core.urls")),
    path("", include("backoffice.urls")),
]
