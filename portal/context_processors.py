from django.utils.translation import gettext_lazy as _

TEXT_SIZE_COOKIE = "textsize"
SITE_NAME = _("Yinzhou District Residents' Portal")


def portal(request) -> dict:
    return {
        "large_text": request.COOKIES.get(TEXT_SIZE_COOKIE) == "large",
        "site_name": SITE_NAME,
    }
