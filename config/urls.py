from django.conf import settings
from django.contrib import admin
from django.urls import include, path

admin.site.site_header = settings.PRODUCT_NAME
admin.site.site_title = settings.PRODUCT_NAME
admin.site.index_title = "Administration"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("staff/access/", include("accounts.urls")),
    path("", include("core.urls")),
]
