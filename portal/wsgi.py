"""WSGI entry point for the HTTP workers (gunicorn, see deploy/gunicorn.conf.py)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings.production")

application = get_wsgi_application()

# Import every URL module now rather than on the first request: with gunicorn's
# preload_app this happens once in the master, before the workers are forked.
from django.urls import get_resolver  # noqa: E402

get_resolver().url_patterns  # noqa: B018
