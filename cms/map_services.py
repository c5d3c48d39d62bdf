"""State changes of grid maps: a community's base image and each grid's outline on it.

Like every service, these are keyword-only, check who may act and run in one
transaction. ``actor=None`` is the system (demo data, shell), as in
``portal.services.assign_role``. An outline is public as soon as it is saved: the
map is a drawing of facts staff already publish, so it has no draft stage.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _
from wagtail.images import get_image_model
from wagtail.permissions import policy_registry

from portal.models import Area, AreaKind, User
from portal.permissions import Action, can

from .models import GridMap, GridOutline
from .validators import validate_polygon

# Stored coordinates keep five decimals: a tenth of a pixel on a 10,000-pixel scan.
COORDINATE_DECIMALS = 5


def _require_manage(actor: User | None, community: Area) -> None:
    if actor is not None and not can(actor, Action.MANAGE_CONTENT, community):
        raise PermissionDenied(_("You may only edit the grid map of your own community."))


def usable_images(user: User) -> QuerySet:
    """Wagtail images `user` may put under a map: any they may choose, and their own uploads."""
    model = get_image_model()
    policy = policy_registry.get_by_type(model)
    images = policy.instances_user_has_any_permission_for(user, ["choose"])
    return model.objects.filter(Q(pk__in=images.values("pk")) | Q(uploaded_by_user=user))


@transaction.atomic
def save_grid_map(
    *,
    actor: User | None,
    community: Area,
    title: str = "",
    base_image=None,
    upload: UploadedFile | None = None,
) -> GridMap:
    """Create a community's map, or give it a new title or base image.

    `upload` is stored as a new Wagtail image; otherwise `base_image` is an existing one.
    Outlines keep their place when the image is replaced, because they are stored
    relative to the image's size.
    """
    if community.kind != AreaKind.COMMUNITY:
        raise ValidationError(_("A grid map belongs to a community."))
    _require_manage(actor, community)
    title = (title or "").strip()
    if upload is not None:
        base_image = get_image_model()(
            title=title or community.name,
            file=upload,
            file_size=upload.size,
            uploaded_by_user=actor,
        )
        base_image.save()
    elif base_image is not None:
        if actor is not None and not usable_images(actor).filter(pk=base_image.pk).exists():
            raise PermissionDenied(_("You may not use that image."))
    grid_map = GridMap.objects.select_for_update().filter(community=community).first()
    if grid_map is None:
        if base_image is None:
            raise ValidationError({"base_image": _("Choose an image or upload one.")})
        grid_map = GridMap(community=community)
    if base_image is not None:
        grid_map.base_image = base_image
    grid_map.title = title
    grid_map.full_clean()
    grid_map.save()
    return grid_map


def _rounded(points) -> list[list[float]]:
    return [
        [round(float(x), COORDINATE_DECIMALS), round(float(y), COORDINATE_DECIMALS)]
        for x, y in points
    ]


@transaction.atomic
def save_grid_outline(
    *,
    actor: User | None,
    grid_map: GridMap,
    grid: Area,
    points: list,
    label: str,
    colour: str,
) -> GridOutline:
    """Draw (or redraw) `grid` on `grid_map`. The public map shows it from this commit on."""
    community = grid_map.community
    _require_manage(actor, community)
    if grid.kind != AreaKind.GRID:
        raise ValidationError({"grid": _("Choose a grid.")})
    # The model validates again in full_clean; this turns damaged input into a message
    # before rounding would fail on it.
    try:
        validate_polygon(points)
    except ValidationError as error:
        raise ValidationError({"points": error.messages}) from error
    outline = GridOutline.objects.select_for_update().filter(grid=grid).first()
    if outline is None:
        outline = GridOutline(grid=grid)
    outline.grid_map = grid_map
    outline.points = _rounded(points)
    outline.label = (label or "").strip() or grid.name
    outline.colour = (colour or "").strip().lower()
    outline.updated_by = actor
    outline.full_clean()
    outline.save()
    return outline


@transaction.atomic
def delete_grid_outline(*, actor: User | None, outline: GridOutline) -> None:
    """Take a grid off its map; the grid itself and its page stay."""
    outline = (
        GridOutline.objects.select_for_update()
        .select_related("grid_map__community")
        .get(pk=outline.pk)
    )
    _require_manage(actor, outline.grid_map.community)
    outline.delete()
