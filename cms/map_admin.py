"""Wagtail admin screens for grid maps: the list of maps and the outline editor.

Staff see the maps of the communities where they may manage content, create one by
choosing or uploading a base image, and draw each grid on it. Every change goes
through ``cms.map_services``; these views only translate between forms and services.
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import include, path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.images.fields import WagtailImageField

from portal.models import Area, AreaKind
from portal.permissions import Action, areas_where, can, restrict

from . import map_services
from .maps import OUTLINE_PALETTE, label_position, map_image
from .models import GridMap, GridOutline


class GridMapsMenuItem(MenuItem):
    """Shown to whoever may manage some community's content."""

    def is_shown(self, request) -> bool:
        return bool(areas_where(request.user, Action.MANAGE_CONTENT))


def _managed_communities(user):
    return restrict(Area.objects.filter(kind=AreaKind.COMMUNITY), user, Action.MANAGE_CONTENT)


def _error_text(error: Exception) -> str:
    return " ".join(getattr(error, "messages", None) or [str(error) or _("Not allowed.")])


class GridMapForm(forms.Form):
    """A map's base image: one from the image library, or a new upload."""

    community = forms.ModelChoiceField(
        queryset=Area.objects.none(), label=gettext_lazy("Community"), required=True
    )
    title = forms.CharField(
        label=gettext_lazy("Title"),
        max_length=100,
        required=False,
        help_text=gettext_lazy("Shown as the caption under the map; may be left empty."),
    )
    base_image = forms.ModelChoiceField(
        queryset=None,
        label=gettext_lazy("An image from the library"),
        required=False,
        empty_label=gettext_lazy("(none — upload a new image below)"),
    )

    def __init__(self, *args, user, communities=None, require_image=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.require_image = require_image
        if communities is None:
            del self.fields["community"]
        else:
            self.fields["community"].queryset = communities
        self.fields["base_image"].queryset = map_services.usable_images(user).order_by(
            "-created_at"
        )
        # Built here, not on the class, so the size limit follows the current settings.
        self.fields["upload"] = WagtailImageField(
            label=gettext_lazy("Or upload a new image"), required=False
        )

    def clean(self):
        cleaned = super().clean()
        has_image = cleaned.get("base_image") is not None
        has_upload = bool(cleaned.get("upload"))
        if not self.errors.get("upload"):
            if has_image and has_upload:
                raise ValidationError(
                    _("Choose an image from the library or upload one, not both.")
                )
            if not has_image and not has_upload and self.require_image:
                raise ValidationError(_("Choose an image from the library or upload one."))
        return cleaned


class OutlineForm(forms.Form):
    # Any grid: the service says so clearly when it belongs to another community.
    grid = forms.ModelChoiceField(
        queryset=Area.objects.filter(kind=AreaKind.GRID),
        widget=forms.HiddenInput,
        error_messages={"required": gettext_lazy("Choose a grid first.")},
    )
    label = forms.CharField(
        label=gettext_lazy("Label on the map"),
        max_length=40,
        required=False,
        help_text=gettext_lazy("Leave empty to use the grid's name."),
    )
    colour = forms.CharField(
        label=gettext_lazy("Colour"),
        max_length=7,
        widget=forms.TextInput(attrs={"type": "color"}),
    )
    points = forms.CharField(widget=forms.HiddenInput, required=False)

    def clean_points(self):
        raw = self.cleaned_data["points"] or "[]"
        try:
            return json.loads(raw)
        except ValueError as error:
            raise ValidationError(_("The outline data is damaged. Draw it again.")) from error


def grid_maps(request: HttpRequest) -> HttpResponse:
    """The maps a user may edit, and a form to start one for a community without."""
    if not areas_where(request.user, Action.MANAGE_CONTENT):
        raise PermissionDenied
    communities = _managed_communities(request.user)
    without_map = communities.filter(grid_map__isnull=True).order_by("path")
    form = None
    if request.method == "POST":
        form = GridMapForm(request.POST, request.FILES, user=request.user, communities=without_map)
        if form.is_valid():
            try:
                grid_map = map_services.save_grid_map(
                    actor=request.user,
                    community=form.cleaned_data["community"],
                    title=form.cleaned_data["title"],
                    base_image=form.cleaned_data["base_image"],
                    upload=form.cleaned_data["upload"],
                )
            except PermissionDenied as error:
                form.add_error(None, _error_text(error))
            except ValidationError as error:
                form.add_error(None, error.messages)
            else:
                messages.success(
                    request,
                    _("The grid map of %(community)s was created. Now draw its grids.")
                    % {"community": grid_map.community.name},
                )
                return redirect("cms_grid_maps:edit", pk=grid_map.pk)
    elif without_map.exists():
        form = GridMapForm(user=request.user, communities=without_map)
    maps = (
        GridMap.objects.filter(community__in=communities)
        .select_related("community", "base_image")
        .annotate(outlined=Count("outlines"))
        .order_by("community__path")
    )
    rows = []
    for grid_map in maps:
        grids = Area.objects.filter(
            kind=AreaKind.GRID, path__startswith=grid_map.community.path
        ).count()
        rows.append((grid_map, grid_map.outlined, grids))
    return render(
        request,
        "cms/admin/grid_maps.html",
        {"rows": rows, "form": form, "has_communities": communities.exists()},
    )


def _editor_context(request, grid_map: GridMap, grid: Area, form: OutlineForm) -> dict:
    image_url, width, height = map_image(grid_map.base_image)
    community = grid_map.community
    grids = list(Area.objects.filter(kind=AreaKind.GRID, path__startswith=community.path))
    outlines = {o.grid_id: o for o in grid_map.outlines.all()}
    grid_data = []
    for index, each in enumerate(grids):
        outline = outlines.get(each.pk)
        grid_data.append(
            {
                "id": each.pk,
                "name": each.name,
                "colour": OUTLINE_PALETTE[index % len(OUTLINE_PALETTE)],
                "outline": {
                    "label": outline.label,
                    "colour": outline.colour,
                    "points": outline.points,
                }
                if outline
                else None,
            }
        )
    others = []
    for outline in outlines.values():
        pixels = [(round(x * width, 1), round(y * height, 1)) for x, y in outline.points]
        label_x, label_y = label_position(pixels)
        others.append(
            {
                "grid_id": outline.grid_id,
                "label": outline.label,
                "colour": outline.colour,
                "points": " ".join(f"{x},{y}" for x, y in pixels),
                "label_x": label_x,
                "label_y": label_y,
            }
        )
    return {
        "grid_map": grid_map,
        "community": community,
        "grid": grid,
        "grids": [(each, outlines.get(each.pk)) for each in grids],
        "form": form,
        "settings_form": GridMapForm(
            user=request.user,
            initial={"title": grid_map.title},
        ),
        "image_url": image_url,
        "width": width,
        "height": height,
        "font_size": max(12, round(max(width, height) / 40)),
        "others": others,
        "current_outline": outlines.get(grid.pk),
        "editor_data": {
            "width": width,
            "height": height,
            "grid": grid.pk,
            "dirty": request.method == "POST",
            "grids": grid_data,
            "text": {
                "points": _("Points: %(count)s."),
                "selected": _("Point %(n)s is selected."),
                "too_few": _("An outline needs at least 3 points: click on the map to add more."),
                "handle": _("Point %(n)s of %(count)s"),
                "added": _("Point added."),
                "moved": _("Point moved."),
                "deleted": _("Point deleted."),
                "undone": _("Undone."),
                "nothing_to_undo": _("Nothing to undo."),
                "cleared": _("Outline cleared. Undo brings it back."),
                "discard": _("Discard the points you have not saved?"),
                "switched": _("Now editing %(grid)s."),
            },
        },
    }


def _get_map(request: HttpRequest, pk: int) -> GridMap:
    grid_map = get_object_or_404(GridMap.objects.select_related("community", "base_image"), pk=pk)
    if not can(request.user, Action.MANAGE_CONTENT, grid_map.community):
        raise PermissionDenied
    return grid_map


def _initial_grid(grid_map: GridMap, raw: str | None) -> Area | None:
    grids = Area.objects.filter(kind=AreaKind.GRID, path__startswith=grid_map.community.path)
    if raw and raw.isdigit():
        chosen = grids.filter(pk=int(raw)).first()
        if chosen is not None:
            return chosen
    return grids.filter(outline__isnull=True).first() or grids.first()


def grid_map_editor(request: HttpRequest, pk: int) -> HttpResponse:
    """Draw one grid of the map at a time; the others are shown faintly for reference."""
    grid_map = _get_map(request, pk)
    if request.method == "POST":
        form = OutlineForm(request.POST)
        grid = None
        if form.is_valid():
            grid = form.cleaned_data["grid"]
            try:
                outline = map_services.save_grid_outline(
                    actor=request.user,
                    grid_map=grid_map,
                    grid=grid,
                    points=form.cleaned_data["points"],
                    label=form.cleaned_data["label"],
                    colour=form.cleaned_data["colour"],
                )
            except PermissionDenied as error:
                messages.error(request, _error_text(error))
                return redirect("cms_grid_maps:index")
            except ValidationError as error:
                if not hasattr(error, "error_dict"):
                    form.add_error(None, error)
                for field, errors in getattr(error, "error_dict", {}).items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                messages.success(
                    request,
                    _("The outline of %(grid)s is saved and shown on the public map.")
                    % {"grid": grid.name},
                )
                return redirect(
                    f"{reverse('cms_grid_maps:edit', args=[grid_map.pk])}?grid={grid.pk}"
                )
        # The hidden input still holds what was drawn, so a refused save loses nothing.
        if grid is None or not grid.path.startswith(grid_map.community.path):
            grid = _initial_grid(grid_map, None)
            if grid is None:
                messages.error(request, _("This community has no grids to draw yet."))
                return redirect("cms_grid_maps:index")
            # Draw on a grid of this map from now on, not the refused one.
            form.data = form.data.copy()
            form.data["grid"] = str(grid.pk)
        messages.error(request, _("The outline was not saved. Correct the errors below."))
        status = 400
    else:
        grid = _initial_grid(grid_map, request.GET.get("grid"))
        if grid is None:
            messages.error(request, _("This community has no grids to draw yet."))
            return redirect("cms_grid_maps:index")
        outline = GridOutline.objects.filter(grid=grid).first()
        index = list(
            Area.objects.filter(
                kind=AreaKind.GRID, path__startswith=grid_map.community.path
            ).values_list("pk", flat=True)
        ).index(grid.pk)
        form = OutlineForm(
            initial={
                "grid": grid.pk,
                "label": outline.label if outline else grid.name,
                "colour": outline.colour
                if outline
                else OUTLINE_PALETTE[index % len(OUTLINE_PALETTE)],
                "points": json.dumps(outline.points if outline else []),
            }
        )
        status = 200
    context = _editor_context(request, grid_map, grid, form)
    return render(request, "cms/admin/grid_map_editor.html", context, status=status)


@require_POST
def grid_outline_remove(request: HttpRequest, pk: int) -> HttpResponse:
    """Take one grid off the map (its page and people stay)."""
    grid_map = _get_map(request, pk)
    raw = request.POST.get("grid", "")
    outline = (
        GridOutline.objects.filter(grid_map=grid_map, grid_id=int(raw)).first()
        if raw.isdigit()
        else None
    )
    if outline is None:
        messages.error(request, _("That grid is not drawn on this map."))
        return redirect("cms_grid_maps:edit", pk=grid_map.pk)
    try:
        map_services.delete_grid_outline(actor=request.user, outline=outline)
    except PermissionDenied as error:
        messages.error(request, _error_text(error))
        return redirect("cms_grid_maps:index")
    messages.success(request, _("%(grid)s was taken off the map.") % {"grid": outline.grid.name})
    return redirect(f"{reverse('cms_grid_maps:edit', args=[grid_map.pk])}?grid={raw}")


@require_POST
def grid_map_settings(request: HttpRequest, pk: int) -> HttpResponse:
    """A new title or base image for an existing map; the outlines stay in place."""
    grid_map = _get_map(request, pk)
    form = GridMapForm(request.POST, request.FILES, user=request.user, require_image=False)
    if form.is_valid():
        try:
            map_services.save_grid_map(
                actor=request.user,
                community=grid_map.community,
                title=form.cleaned_data["title"],
                base_image=form.cleaned_data["base_image"],
                upload=form.cleaned_data["upload"],
            )
        except (PermissionDenied, ValidationError) as error:
            messages.error(request, _error_text(error))
        else:
            messages.success(request, _("The map settings are saved."))
    else:
        messages.error(
            request,
            " ".join(str(message) for errors in form.errors.values() for message in errors),
        )
    return redirect("cms_grid_maps:edit", pk=grid_map.pk)


@hooks.register("register_admin_urls")
def register_grid_map_urls():
    patterns = [
        path("", grid_maps, name="index"),
        path("<int:pk>/", grid_map_editor, name="edit"),
        path("<int:pk>/remove/", grid_outline_remove, name="remove"),
        path("<int:pk>/settings/", grid_map_settings, name="settings"),
    ]
    return [path("grid-maps/", include((patterns, "cms_grid_maps")))]


@hooks.register("register_admin_menu_item")
def register_grid_maps_menu_item():
    return GridMapsMenuItem(
        gettext_lazy("Grid maps"),
        reverse("cms_grid_maps:index"),
        icon_name="crosshairs",
        order=175,
    )
