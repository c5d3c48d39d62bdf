"""How a refused action is put into words for the person who tried it."""

from __future__ import annotations

from django.utils.translation import gettext as _


def error_text(error: Exception) -> str:
    """The messages of a ValidationError or PermissionDenied, as one line to show."""
    return " ".join(getattr(error, "messages", None) or [str(error) or _("Not allowed.")])
