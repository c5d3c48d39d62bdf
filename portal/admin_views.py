"""Wagtail admin screens for community staff: the resident verification queue."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import services
from .forms import RejectForm
from .models import AreaKind, ResidentProfile, ResidentStatus
from .permissions import Action, areas_where, can, restrict


def residents(request: HttpRequest) -> HttpResponse:
    if not areas_where(request.user, Action.VIEW_RESIDENTS):
        raise PermissionDenied
    status = request.GET.get("status", ResidentStatus.PENDING)
    if status not in ResidentStatus.values:
        status = ResidentStatus.PENDING
    profiles = restrict(
        ResidentProfile.objects.select_related("user", "household__unit", "decided_by"),
        request.user,
        Action.VIEW_RESIDENTS,
        "household__unit__path",
    ).filter(status=status)
    profiles = profiles.order_by(
        "requested_at" if status == ResidentStatus.PENDING else "-decided_at"
    )
    page = Paginator(profiles, 50).get_page(request.GET.get("p"))
    rows = [(p, can(request.user, Action.VERIFY_RESIDENTS, p.household.unit)) for p in page]
    communities = [
        a.ancestor_of_kind(AreaKind.COMMUNITY) or a
        for a in areas_where(request.user, Action.VERIFY_RESIDENTS)
    ]
    return render(
        request,
        "portal/admin/residents.html",
        {
            "rows": rows,
            "page": page,
            "status": status,
            "statuses": ResidentStatus.choices,
            "reject_form": RejectForm(),
            "live_topics": [
                f"verification:{c.pk}" for c in communities if c.kind == AreaKind.COMMUNITY
            ],
        },
    )


def _error_text(error: Exception) -> str:
    return " ".join(getattr(error, "messages", None) or [str(error) or _("Not allowed.")])


@require_POST
def verify(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        profile = services.verify_resident(actor=request.user, profile_id=pk)
    except ResidentProfile.DoesNotExist:
        messages.error(request, _("That request no longer exists."))
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(
            request, _("%(name)s is now a verified resident.") % {"name": profile.user}
        )
    return redirect("portal_admin:residents")


@require_POST
def reject(request: HttpRequest, pk: int) -> HttpResponse:
    form = RejectForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["reason"]))
        return redirect("portal_admin:residents")
    try:
        profile = services.reject_resident(
            actor=request.user, profile_id=pk, reason=form.cleaned_data["reason"]
        )
    except ResidentProfile.DoesNotExist:
        messages.error(request, _("That request no longer exists."))
    except (PermissionDenied, ValidationError) as error:
        messages.error(request, _error_text(error))
    else:
        messages.success(
            request, _("The request of %(name)s was rejected.") % {"name": profile.user}
        )
    return redirect("portal_admin:residents")
