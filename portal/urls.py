from django.conf import settings
from django.conf.urls.static import static
from django.urls import include, path
from wagtail import urls as wagtail_urls
from wagtail.admin import urls as wagtailadmin_urls
from wagtail.documents import urls as wagtaildocs_urls

from . import health, views

portal_patterns = (
    [
        path("me/", views.my_account, name="my_account"),
        path("me/household/", views.choose_household, name="choose_household"),
        path("text-size/", views.text_size, name="text_size"),
    ],
    "portal",
)

urlpatterns = [
    path("healthz", health.healthz, name="healthz"),
    path("admin/", include(wagtailadmin_urls)),
    path("documents/", include(wagtaildocs_urls)),
    path("accounts/", include("allauth.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("", include(portal_patterns)),
    path("", include("cms.urls")),
    path("", include("consultation.urls")),
    path("", include("volunteers.urls")),
]

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)

# Wagtail's page tree takes every other path, so it comes last.
urlpatterns += [path("", include(wagtail_urls))]

handler403 = "portal.views.permission_denied"
