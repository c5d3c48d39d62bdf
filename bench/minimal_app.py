"""The baselines bench/votes.py measures next to the portal, on the same servers.

- `wsgi_app` / `asgi_app`: a one-view Django project (no database, no middleware),
  i.e. what Django itself costs per request;
- `hello`: a bare ASGI callable, i.e. what the server and the network path cost.
"""

from django.conf import settings

if not settings.configured:
    settings.configure(
        DEBUG=False,
        SECRET_KEY="benchmark-baseline-only",  # noqa: S106
        ALLOWED_HOSTS=["*"],
        ROOT_URLCONF=__name__,
        MIDDLEWARE=[],
        INSTALLED_APPS=[],
        USE_I18N=False,
    )

from django.core.asgi import get_asgi_application  # noqa: E402
from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.urls import path  # noqa: E402


def minimal(request):
    return HttpResponse(b"ok", content_type="text/plain")


urlpatterns = [path("", minimal)]

wsgi_app = get_wsgi_application()
asgi_app = get_asgi_application()


async def hello(scope, receive, send):
    if scope["type"] != "http":
        return
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/plain"), (b"content-length", b"5")],
        }
    )
    await send({"type": "http.response.body", "body": b"hello"})
