"""Wagtail admin screens for polls (投票): list, create, follow, enter paper ballots, close,
export and publish. Staff see the polls of their own communities only.

The rules live in `poll_services` and `poll_results`; these views read forms, call them and
report what they said.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_POST

from portal.errors import error_text
from portal.models import Area, AreaKind, Household, ResidentProfile, ResidentStatus
from portal.permissions import Action, areas_where, restrict

from . import poll_results as results
from . import poll_services as ps
from .models import HallPage
from .polls import (
    BallotMode,
    CountingUnit,
    Poll,
    PollKind,
    ResultsVisibility,
    Threshold,
)

DATETIME_INPUT = "%Y-%m-%dT%H:%M"


def _communities(user) -> list[Area]:
    """The communities `user` manages content in; refused outright when none."""
    tops = areas_where(user, Action.MANAGE_CONTENT)
    if not tops:
        raise PermissionDenied
    within = Q(pk__in=[])
    for top in tops:
        within |= Q(path__startswith=top.path)
    # A role below a community (none today) would not make its holder staff of it.
    return list(Area.objects.filter(within, kind=AreaKind.COMMUNITY).order_by("path"))


def _scoped_polls(user):
    return restrict(Poll.objects.all(), user, Action.MANAGE_CONTENT, "community__path")


def _poll_for(request: HttpRequest, pk: int) -> Poll:
    """The poll, if the user manages it; a poll elsewhere is as good as missing."""
    _communities(request.user)
    poll = get_object_or_404(
        _scoped_polls(request.user).select_related("community", "hall", "result_notice"), pk=pk
    )
    if not ps.may_manage_poll(request.user, poll):
        raise Http404
    return poll


# --- forms --------------------------------------------------------------------


class BeijingDateTimeField(forms.DateTimeField):
    """A datetime-local input read in the district's time zone (TIME_ZONE), whatever time
    zone the staff member's admin profile names: poll times are the community's times."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_INPUT)

    def __init__(self, **kwargs):
        kwargs.setdefault("input_formats", [DATETIME_INPUT, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"])
        super().__init__(**kwargs)

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if isinstance(value, datetime):
            naive = value.replace(tzinfo=None) if timezone.is_aware(value) else value
        else:
            naive = None
            for fmt in self.input_formats:
                try:
                    naive = datetime.strptime(str(value).strip(), fmt)
                    break
                except ValueError:
                    continue
            if naive is None:
                raise ValidationError(self.error_messages["invalid"], code="invalid")
        return timezone.make_aware(naive, ZoneInfo(settings.TIME_ZONE))

    def prepare_value(self, value):
        if isinstance(value, datetime) and timezone.is_aware(value):
            return timezone.localtime(value, ZoneInfo(settings.TIME_ZONE)).strftime(DATETIME_INPUT)
        return value


class PollForm(forms.Form):
    community = forms.ModelChoiceField(
        Area.objects.none(), label=gettext_lazy("Community"), empty_label=None
    )
    hall = forms.ModelChoiceField(
        HallPage.objects.none(),
        required=False,
        label=gettext_lazy("Deliberation hall"),
        empty_label=gettext_lazy("No hall"),
        help_text=gettext_lazy(
            "Leave the times empty to use the hall's voting phase (voting opens to hall closes)."
        ),
    )
    question = forms.CharField(label=pgettext_lazy("poll", "Question"), max_length=300)
    description = forms.CharField(
        label=gettext_lazy("Description"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    kind = forms.ChoiceField(choices=PollKind.choices, label=gettext_lazy("Kind of poll"))
    options = forms.CharField(
        label=gettext_lazy("Options"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy(
            "One option per line. Not used for for/against/abstain polls, which get those three."
        ),
    )
    min_picks = forms.IntegerField(
        label=gettext_lazy("Fewest choices"),
        min_value=1,
        initial=1,
        help_text=gettext_lazy("Only for polls with several choices."),
    )
    max_picks = forms.IntegerField(
        label=gettext_lazy("Most choices"),
        min_value=1,
        initial=1,
        help_text=gettext_lazy("Only for polls with several choices."),
    )
    scope = forms.ModelMultipleChoiceField(
        Area.objects.none(),
        required=False,
        label=gettext_lazy("Who votes"),
        help_text=gettext_lazy(
            "Grids or buildings whose residents vote. None: the whole community."
        ),
        widget=forms.SelectMultiple(attrs={"size": 8}),
    )
    unit = forms.ChoiceField(choices=CountingUnit.choices, label=gettext_lazy("Counting unit"))
    mode = forms.ChoiceField(
        choices=BallotMode.choices, label=pgettext_lazy("poll", "Ballot"), initial=BallotMode.OPEN
    )
    results_visibility = forms.ChoiceField(
        choices=ResultsVisibility.choices, label=gettext_lazy("Results")
    )
    opens_at = BeijingDateTimeField(
        label=gettext_lazy("Voting opens (Beijing time)"), required=False
    )
    closes_at = BeijingDateTimeField(
        label=gettext_lazy("Voting closes (Beijing time)"), required=False
    )
    quorum_percent = forms.IntegerField(
        label=gettext_lazy("Quorum (%)"), min_value=0, max_value=100, initial=0
    )
    threshold = forms.ChoiceField(choices=Threshold.choices, label=gettext_lazy("Needed to pass"))
    double_majority = forms.BooleanField(
        label=gettext_lazy("Owners' double majority"),
        required=False,
        help_text=gettext_lazy(
            "Counts floor area and owners as the Civil Code requires for owners' matters; "
            "needs one open ballot per household."
        ),
    )
    special_matter = forms.BooleanField(
        label=gettext_lazy("Special matter"),
        required=False,
        help_text=gettext_lazy("Needs three quarters instead of more than half (e.g. rebuilding)."),
    )

    def __init__(self, *args, communities: list[Area], community: Area | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = Area.objects.filter(
            pk__in=[c.pk for c in communities]
        ).order_by("path")
        if len(communities) == 1:
            self.fields["community"].initial = communities[0]
        # Halls and areas of the chosen community when one is known, else of all of them;
        # create_poll refuses a hall or area of another community either way.
        shown = [community] if community is not None else communities
        within = Q(pk__in=[])
        halls = Q(pk__in=[])
        for c in shown:
            within |= Q(path__startswith=c.path)
            halls |= Q(community=c)
        self.fields["hall"].queryset = (
            HallPage.objects.filter(halls).select_related("community").order_by("-voting_opens_at")
        )
        areas = Area.objects.filter(within, kind__in=[AreaKind.GRID, AreaKind.BUILDING]).order_by(
            "path"
        )
        self.fields["scope"].queryset = areas
        several = len(shown) > 1
        # Names above each area from one query, not Area.full_name() per option (a
        # community has over a hundred buildings).
        names = dict(Area.objects.filter(pk__in=[c.pk for c in shown]).values_list("path", "name"))
        names.update(areas.filter(kind=AreaKind.GRID).values_list("path", "name"))

        def area_label(area: Area) -> str:
            grid_depth = area.depth if area.kind == AreaKind.GRID else area.depth - 1
            parts = []
            if several:
                parts.append(names.get(area.path[: (grid_depth - 1) * Area.steplen], ""))
            if area.kind == AreaKind.BUILDING:
                parts.append(names.get(area.path[: grid_depth * Area.steplen], ""))
            return " ".join([*parts, area.name])

        self.fields["scope"].label_from_instance = area_label
        self.fields["hall"].label_from_instance = lambda h: (
            f"{h.title} ({h.community.name})" if several and h.community_id else h.title
        )

    def option_labels(self) -> list[str]:
        text = self.cleaned_data.get("options") or ""
        return [line.strip() for line in text.splitlines() if line.strip()]

    def clean(self):
        data = super().clean()
        hall = data.get("hall")
        for name, hall_field in (("opens_at", "voting_opens_at"), ("closes_at", "closes_at")):
            if data.get(name) is None and name not in self.errors:
                if hall is not None:
                    data[name] = getattr(hall, hall_field)
                else:
                    self.add_error(
                        name, _("Give a time, or choose a hall whose voting phase it follows.")
                    )
        return data


class PaperBallotForm(forms.Form):
    """The choices on a paper ballot, plus who it is for. Options are filled per poll."""

    household = forms.IntegerField(widget=forms.HiddenInput)
    resident = forms.IntegerField(required=False)
    paper_name = forms.CharField(
        label=gettext_lazy("Name signed on the paper ballot"), required=False, max_length=100
    )
    choices = forms.MultipleChoiceField(label=gettext_lazy("Choices"), choices=())

    def __init__(self, *args, poll: Poll, **kwargs):
        super().__init__(*args, **kwargs)
        options = list(poll.options.order_by("position", "id"))
        self.fields["choices"].choices = [(str(o.pk), o.label) for o in options]
        if poll.kind == PollKind.MULTIPLE:
            self.fields["choices"].widget = forms.CheckboxSelectMultiple(
                choices=self.fields["choices"].choices
            )
        else:
            # One radio group; the form still hands a list to cast_ballot.
            self.fields["choices"] = forms.ChoiceField(
                label=gettext_lazy("Choice"),
                choices=self.fields["choices"].choices,
                widget=forms.RadioSelect,
            )

    def option_ids(self) -> list[str]:
        value = self.cleaned_data["choices"]
        return list(value) if isinstance(value, list) else [value]


# --- list and create -----------------------------------------------------------


def poll_list(request: HttpRequest) -> HttpResponse:
    _communities(request.user)
    polls = (
        _scoped_polls(request.user)
        .select_related("community", "hall")
        .order_by("-created_at", "-id")
    )
    page = Paginator(polls, 30).get_page(request.GET.get("p"))
    now = timezone.now()
    rows = [
        {
            "poll": poll,
            "status": results.status_of(poll, now),
            "status_label": results.status_label(poll, now),
            "eligible": results.eligible_count(poll),
        }
        for poll in page
    ]
    return render(request, "consultation/admin/poll_list.html", {"rows": rows, "page": page})


def poll_create(request: HttpRequest) -> HttpResponse:
    communities = _communities(request.user)
    chosen = None
    raw = request.POST.get("community") or request.GET.get("community") or ""
    if raw.isdigit():
        chosen = next((c for c in communities if c.pk == int(raw)), None)
    elif len(communities) == 1:
        chosen = communities[0]
    form = PollForm(request.POST or None, communities=communities, community=chosen)
    if chosen is not None and not request.POST:
        form.initial["community"] = chosen.pk
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            poll = ps.create_poll(
                actor=request.user,
                community=data["community"],
                hall=data["hall"],
                question=data["question"],
                description=data["description"],
                kind=data["kind"],
                options=form.option_labels(),
                min_picks=data["min_picks"],
                max_picks=data["max_picks"],
                scope=data["scope"],
                unit=data["unit"],
                mode=data["mode"],
                results_visibility=data["results_visibility"],
                opens_at=data["opens_at"],
                closes_at=data["closes_at"],
                quorum_percent=data["quorum_percent"],
                threshold=data["threshold"],
                double_majority=data["double_majority"],
                special_matter=data["special_matter"],
            )
        except (ValidationError, PermissionDenied) as error:
            form.add_error(None, error_text(error))
        else:
            messages.success(request, _("The poll is created."))
            return redirect("poll_admin:detail", pk=poll.pk)
    return render(
        request,
        "consultation/admin/poll_form.html",
        {"form": form, "communities": communities, "chosen": chosen},
    )


# --- detail, paper ballots ------------------------------------------------------


def _paper_target(request: HttpRequest, poll: Poll) -> dict:
    """Find the household a paper ballot is for from ?building=&room= or ?household=."""
    found: dict = {"households": [], "household": None, "residents": [], "error": ""}
    community = poll.community
    in_community = Household.objects.within(community).select_related("unit")
    raw_household = request.GET.get("household", "") or request.POST.get("household", "")
    building_id = request.GET.get("building", "")
    room = request.GET.get("room", "").strip()
    if raw_household.isdigit():
        household = in_community.filter(pk=int(raw_household)).first()
        if household is None:
            found["error"] = _("This household does not lie in the poll's community.")
            return found
        found["households"] = [household]
    elif building_id or room:
        building = Area.objects.filter(
            pk=int(building_id) if building_id.isdigit() else 0,
            kind=AreaKind.BUILDING,
            path__startswith=community.path,
        ).first()
        if building is None:
            found["error"] = _("Choose a building of this community.")
            return found
        if not room:
            found["error"] = _("Write the room number.")
            return found
        found["households"] = list(in_community.within(building).filter(label=room))
        if not found["households"]:
            found["error"] = _("There is no room %(room)s in %(building)s.") % {
                "room": room,
                "building": building.name,
            }
            return found
    if len(found["households"]) == 1:
        household = found["households"][0]
        found["household"] = household
        found["residents"] = list(
            ResidentProfile.objects.filter(
                household=household, status=ResidentStatus.VERIFIED, user__is_active=True
            )
            .select_related("user")
            .order_by("user__name", "user__pk")
        )
    return found


def poll_detail(request: HttpRequest, pk: int) -> HttpResponse:
    poll = _poll_for(request, pk)
    return _render_detail(request, poll)


def _render_detail(
    request: HttpRequest, poll: Poll, paper_form: PaperBallotForm | None = None
) -> HttpResponse:
    data = results.summary(poll)
    target = _paper_target(request, poll)
    if paper_form is None:
        paper_form = PaperBallotForm(poll=poll)
    buildings = Area.objects.filter(kind=AreaKind.BUILDING, path__startswith=poll.community.path)
    return render(
        request,
        "consultation/admin/poll_detail.html",
        {
            "poll": data.poll,
            "summary": data,
            "counters_match": ps.counters(poll) == ps.tally(poll),
            "figures": results.result_figures(data.poll),
            "breakdown": results.breakdown(data.poll),
            "paper_entries": results.vote_entries(data.poll, paper_only=True),
            "paper_form": paper_form,
            "target": target,
            "buildings": buildings,
            "per_household": poll.unit == CountingUnit.HOUSEHOLD,
            "time_zone": settings.TIME_ZONE,
            "poll_url": results.poll_page_url(poll),
        },
    )


@require_POST
def paper_ballot(request: HttpRequest, pk: int) -> HttpResponse:
    poll = _poll_for(request, pk)
    form = PaperBallotForm(request.POST, poll=poll)
    if not form.is_valid():
        messages.error(request, _("Choose from the poll's options and name the household."))
        return _render_detail(request, poll, form)
    household = (
        Household.objects.within(poll.community)
        .filter(pk=form.cleaned_data["household"])
        .select_related("unit")
        .first()
    )
    if household is None:
        messages.error(request, _("This household does not lie in the poll's community."))
        return _render_detail(request, poll, form)
    resident = None
    if form.cleaned_data["resident"]:
        profile = (
            ResidentProfile.objects.filter(
                household=household,
                user_id=form.cleaned_data["resident"],
                status=ResidentStatus.VERIFIED,
                user__is_active=True,
            )
            .select_related("user")
            .first()
        )
        if profile is None:
            messages.error(request, _("Choose one of this household's verified residents."))
            return _render_detail(request, poll, form)
        resident = profile.user
    elif poll.unit == CountingUnit.RESIDENT:
        messages.error(
            request, _("In a one-vote-per-resident poll a paper ballot names a verified resident.")
        )
        return _render_detail(request, poll, form)
    try:
        ps.cast_ballot(
            voter=request.user,
            poll=poll,
            option_ids=form.option_ids(),
            paper_for=resident,
            paper_household=household,
            paper_name=form.cleaned_data["paper_name"],
        )
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, error_text(error))
        return _render_detail(request, poll, form)
    messages.success(
        request, _("Paper ballot for %(household)s recorded.") % {"household": household}
    )
    return redirect(reverse("poll_admin:detail", args=[poll.pk]) + "#paper")


# --- closing, export, publishing -------------------------------------------------


def close_confirm(request: HttpRequest, pk: int) -> HttpResponse:
    poll = _poll_for(request, pk)
    return render(
        request,
        "consultation/admin/poll_close_confirm.html",
        {"poll": poll, "summary": results.summary(poll), "time_zone": settings.TIME_ZONE},
    )


@require_POST
def close(request: HttpRequest, pk: int) -> HttpResponse:
    poll = _poll_for(request, pk)
    early = request.POST.get("early") == "1"
    try:
        poll = ps.close_poll(actor=request.user, poll=poll, early=early)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, error_text(error))
    else:
        messages.success(
            request,
            _("The poll is closed and counted: %(outcome)s.")
            % {"outcome": poll.get_outcome_display()},
        )
    return redirect("poll_admin:detail", pk=poll.pk)


def export(request: HttpRequest, pk: int) -> HttpResponse:
    poll = _poll_for(request, pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="poll-{poll.pk}.csv"'
    results.write_csv(poll, response)
    return response


@require_POST
def publish(request: HttpRequest, pk: int) -> HttpResponse:
    poll = _poll_for(request, pk)
    try:
        notice = results.publish_result(actor=request.user, poll=poll)
    except (ValidationError, PermissionDenied) as error:
        messages.error(request, error_text(error))
    else:
        if notice.live:
            messages.success(request, _("The result is published as a notice."))
        else:
            messages.success(
                request,
                _(
                    "The result notice is saved as a draft and waits for someone who may "
                    "publish in this community."
                ),
            )
    return redirect("poll_admin:detail", pk=poll.pk)
