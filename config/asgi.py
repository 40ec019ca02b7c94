import os

from django.core.asgi import get_asgi_application

# Servers run production settings unless told otherwise: a forgotten variable must not mean DEBUG.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.production")
application = get_asgi_application()
