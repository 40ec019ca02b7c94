from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.views.decorators.http import require_GET

from backoffice.navigation import areas_for_request


@require_GET
@login_required
def home(request):
    """The staff landing page: the areas this user may work on. Only for those the admin lets in."""
    if not admin.site.has_permission(request):
        raise PermissionDenied
    return render(request, "backoffice/home.html", {"areas": areas_for_request(request)})
