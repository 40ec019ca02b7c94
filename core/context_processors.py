from django.conf import settings


def product(request):
    """Makes the product's name available to every template."""
    return {"PRODUCT_NAME": settings.PRODUCT_NAME}
