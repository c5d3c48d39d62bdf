"""Checks for what staff type into contact cards and grid maps."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Mainland mobile numbers (1[3-9]x xxxx xxxx) and landlines with area code
# (0xx-xxxxxxxx or 0xxx-xxxxxxx, optional extension). Spaces and dashes are allowed.
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
LANDLINE_RE = re.compile(r"^0\d{2,3}\d{7,8}(?:转\d{1,6}|x\d{1,6})?$")


def normalise_phone(value: str) -> str:
    digits = re.sub(r"[\s\-()（）]", "", value or "")
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    return digits


def validate_phone(value: str) -> None:
    number = normalise_phone(value)
    if not (MOBILE_RE.match(number) or LANDLINE_RE.match(number)):
        raise ValidationError(
            _(
                "Enter a mainland mobile number (11 digits, e.g. 13812345678) or a landline "
                "with area code (e.g. 024-72345678)."
            ),
            code="invalid_phone",
        )


HEX_COLOUR_RE = re.compile(r"^#[0-9a-fA-F]{6}$")


def validate_hex_colour(value: str) -> None:
    if not HEX_COLOUR_RE.match(value or ""):
        raise ValidationError(_("Enter a colour like #1f77b4."), code="invalid_colour")


def validate_polygon(points) -> None:
    """A grid outline: at least 3 points, each [x, y] with 0 ≤ x, y ≤ 1 on the base image."""
    if not isinstance(points, list) or len(points) < 3:
        raise ValidationError(
            _("An outline needs at least 3 points. Click on the map to add points."),
            code="too_few_points",
        )
    for point in points:
        if (
            not isinstance(point, (list, tuple))
            or len(point) != 2
            or not all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in point)
        ):
            raise ValidationError(
                _("The outline data is damaged. Draw it again."), code="bad_point"
            )
        x, y = point
        if not (0 <= x <= 1 and 0 <= y <= 1):
            raise ValidationError(
                _("Every point must lie on the map image."), code="point_outside_image"
            )
