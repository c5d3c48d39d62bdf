"""The poll page residents vote on, and the plain form POST behind it.

Every vote goes through `poll_services.cast_ballot`; this module only reads and renders.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from portal.errors import error_text
from portal.permissions import resident_unit_path

from . import poll_services as ps
from .poll_results import Status, status_of
from .polls import Ballot, BallotMode, CountingUnit, Participation, Poll, PollKind


@dataclass(frozen=True)
class VoteRecord:
    """What the page tells a voter about the vote already cast for them or their home."""

    at: datetime
    own: bool
    by_name: str
    paper: bool
    choices: frozenset[int]
    changed_at: datetime | None = None


def _vote_record(poll: Poll, user) -> VoteRecord | None:
    """The ballot (open) or participation (secret) that counts for `user`'s unit."""
    if not user.is_authenticated:
        return None
    household_id = None
    if resident_unit_path(user) is not None:
        household_id = user.resident_profile.household_id
    if poll.unit == CountingUnit.HOUSEHOLD:
        if household_id is None:
            return None
        unit_key = f"h:{household_id}"
    else:
        unit_key = f"u:{user.pk}"
    if poll.mode == BallotMode.SECRET:
        row = Participation.objects.filter(poll=poll, unit_key=unit_key).select_related("voter")
        record = row.first()
        if record is None:
            return None
        return VoteRecord(
            at=record.at,
            own=record.voter_id == user.pk,
            by_name=record.display_name,
            paper=record.paper,
            choices=frozenset(),
        )
    ballot = (
        Ballot.objects.filter(poll=poll, unit_key=unit_key)
        .select_related("voter")
        .prefetch_related("options")
        .first()
    )
    if ballot is None:
        return None
    own = ballot.voter_id == user.pk
    return VoteRecord(
        at=ballot.cast_at,
        own=own,
        by_name=ballot.display_name,
        paper=ballot.paper,
        # A household member sees that the household voted, not what another member chose.
        choices=frozenset(o.pk for o in ballot.options.all()) if own else frozenset(),
        changed_at=ballot.changed_at,
    )


def _refusal(poll: Poll, user, status: str, record: VoteRecord | None) -> str:
    """Why `user` cannot vote now (empty when they can)."""
    if status == Status.UPCOMING:
        return _("Voting has not opened yet.")
    if status in {Status.COUNTING, Status.CLOSED}:
        return _("Voting has closed.")
    if not user.is_authenticated:
        return _("Log in to vote.")
    try:
        # The same eligibility check, and words, as casting itself.
        ps.voting_household(user, poll)
    except ValidationError as error:
        return error_text(error)
    if record is not None:
        if poll.mode == BallotMode.SECRET:
            return _("A secret ballot cannot be changed.")
        if record.paper or not record.own:
            return _(
                "Your household's ballot has been cast; only the person who cast it can change it."
            )
    return ""


def _manage_url(poll: Poll) -> str:
    try:
        return reverse("poll_admin:detail", args=[poll.pk])
    except NoReverseMatch:
        return ""


def poll_context(request: HttpRequest, poll: Poll, *, chosen: set[int] | None = None) -> dict:
    user = request.user
    status = status_of(poll)
    snapshot = ps.live_snapshot(poll, user)
    options = list(poll.options.order_by("position", "id"))
    votes = {row["id"]: row["votes"] for row in snapshot.get("options", [])}
    ballots = snapshot["ballots"]
    rows = []
    for option in options:
        n = votes.get(option.pk)
        rows.append(
            {
                "option": option,
                "votes": n,
                "percent": round(100 * n / ballots, 1) if n is not None and ballots else 0,
            }
        )
    record = _vote_record(poll, user)
    refusal = _refusal(poll, user, status, record)
    if chosen is None:
        chosen = set(record.choices) if record else set()
    eligible = snapshot.get("eligible", 0)
    figures = poll.figures if poll.closed_at else {}
    return {
        "poll": poll,
        "status": status,
        "rows": rows,
        "results_hidden": "options" not in snapshot,
        "ballots": ballots,
        "eligible": eligible,
        "turnout": snapshot.get("turnout", 0),
        "record": record,
        "may_vote": not refusal,
        "refusal": refusal,
        "chosen": chosen,
        "input_type": "checkbox" if poll.kind == PollKind.MULTIPLE else "radio",
        "figures": figures,
        "leading": next((o for o in options if o.pk == figures.get("leading_option")), None),
        "manage_url": _manage_url(poll) if ps.may_manage_poll(user, poll) else "",
        "topic": ps.poll_topic(poll.pk),
        "hall": poll.hall if poll.hall_id and poll.hall.live else None,
    }


def _readable_poll(request: HttpRequest, poll_id: int) -> Poll:
    poll = get_object_or_404(Poll.objects.select_related("community", "hall"), pk=poll_id)
    if not ps.may_read_poll(request.user, poll):
        raise PermissionDenied(_("Only residents of this community can see this poll."))
    return poll


def poll_detail(request: HttpRequest, poll_id: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    poll = _readable_poll(request, poll_id)
    if status_of(poll) == Status.COUNTING:
        # The outcome is due: count now rather than wait for the next scheduled run.
        try:
            poll = ps.close_poll(actor=None, poll=poll)
        except ValidationError:
            poll = Poll.objects.select_related("community", "hall").get(pk=poll.pk)
    return render(request, "consultation/poll.html", poll_context(request, poll))


@require_POST
def vote(request: HttpRequest, poll_id: int) -> HttpResponse:
    if not request.user.is_authenticated:
        return redirect_to_login(reverse("consultation:poll", args=[poll_id]))
    picked = request.POST.getlist("option")
    try:
        # cast_ballot loads the poll itself and checks that the voter is a verified
        # resident in its scope, which includes the right to read it: the read check is
        # needed only on refusal.
        ballot = ps.cast_ballot(voter=request.user, poll=Poll(pk=poll_id), option_ids=picked)
    except Poll.DoesNotExist:
        raise Http404 from None
    except ValidationError as error:
        poll = get_object_or_404(Poll.objects.select_related("community", "hall"), pk=poll_id)
        if not ps.may_read_poll(request.user, poll):
            raise PermissionDenied(
                _("Only residents of this community can see this poll.")
            ) from None
        # Shown on the page itself, with the voter's picks kept, and nothing stored.
        context = poll_context(request, poll, chosen={int(p) for p in picked if str(p).isdigit()})
        context["error"] = error_text(error)
        return render(request, "consultation/poll.html", context, status=400)
    if ballot is None:  # a secret poll keeps no ballot tied to its voter
        messages.success(request, _("Your secret ballot is in the ballot box."))
    else:
        messages.success(
            request, _("Your ballot is counted. You can change it until voting closes.")
        )
    return HttpResponseRedirect(reverse("consultation:poll", args=[poll_id]) + "#your-vote")


def polls_of_hall(hall) -> list[Poll]:
    return list(Poll.objects.filter(hall=hall).order_by("opens_at", "id"))
