from django.conf import settings
from django.http import HttpResponseServerError, JsonResponse
from django.template import loader
from django.views.decorators.csrf import requires_csrf_token
from django.views.decorators.http import require_GET


@require_GET
def healthz(request):
    """Liveness probe for load balancers: answers without touching the database."""
    return JsonResponse({"status": "ok"})


@requires_csrf_token
def server_error(request, template_name: str = "500.html"):
    """The 500 page, drawn from a plain context: no context processor runs, so nothing can query a
    database that may be the reason for the error."""
    html = loader.get_template(template_name).render({"PRODUCT_NAME": settings.PRODUCT_NAME})
    return HttpResponseServerError(html)
