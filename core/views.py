from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.navigation import areas_for_request


@require_GET
@login_required
def home(request):
    """The staff landing page: the areas this user may work on. Only for those the admin lets in."""
    if not admin.site.has_permission(request):
        raise PermissionDenied
    return render(request, "core/home.html", {"areas": areas_for_request(request)})


@require_GET
def healthz(request):
    """Liveness probe for load balancers: answers without touching the database."""
    return JsonResponse({"status": "ok"})
