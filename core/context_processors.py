from django.conf import settings


def product(request):
    """The product's name and time zone, for every template."""
    return {"PRODUCT_NAME": settings.PRODUCT_NAME, "TIME_ZONE_NAME": settings.TIME_ZONE}
