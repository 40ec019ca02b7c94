from django.contrib.auth.decorators import login_required
from django.shortcuts import render


@login_required
def home(request):
    """The staff landing page: where to go next."""
    return render(request, "core/home.html")


def healthz(request):
    from django.http import JsonResponse

    return JsonResponse({"status": "ok"})
