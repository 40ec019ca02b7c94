from django.http import JsonResponse
from django.views.decorators.http import require_GET


@require_GET
def healthz(request):
    """Liveness probe for load balancers: answers without touching the database."""
    return JsonResponse({"status": "ok"})
