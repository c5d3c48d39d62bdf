"""State changes of polls: create, cast a ballot, close. Every path calls these.

Keyword-only, permission checked inside, one transaction each. Rule violations raise
``ValidationError``, missing rights ``PermissionDenied``; live events leave after commit.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from fractions import Fraction

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Case, F, Q, Sum, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from portal import live
from portal.models import Area, Household, ResidentProfile, ResidentStatus, User
from portal.permissions import Action, can

from .models import HallPage
from .polls import (
    Ballot,
    BallotBox,
    BallotMode,
    CountingUnit,
    Option,
    OptionStance,
    Outcome,
    Participation,
    Poll,
    PollKind,
    ResultsVisibility,
    Threshold,
)

MIN_OPTIONS = 2
MAX_OPTIONS = 20

_THRESHOLDS = {
    # (fraction, strict): "more than half" is strict, "at least" is not.
    Threshold.HALF: (Fraction(1, 2), True),
    Threshold.TWO_THIRDS: (Fraction(2, 3), False),
    Threshold.THREE_QUARTERS: (Fraction(3, 4), False),
}


def poll_topic(poll_id: int) -> str:
    return f"poll:{poll_id}"


# --- reading -----------------------------------------------------------------


def may_manage_poll(user, poll: Poll) -> bool:
    return can(user, Action.MANAGE_CONTENT, poll.community)


def may_read_poll(user, poll: Poll) -> bool:
    """Staff of the community, and whoever may read its hall (or its residents)."""
    if may_manage_poll(user, poll):
        return True
    if poll.hall_id is not None:
        from .rules import may_read

        return may_read(user, poll.hall)
    return can(user, Action.PARTICIPATE, poll.community)


def results_hidden(poll: Poll, user=None) -> bool:
    """Per-option counts stay hidden until close for after-close polls, except to staff."""
    if poll.results_visibility != ResultsVisibility.AFTER_CLOSE or poll.closed_at is not None:
        return False
    return user is None or not may_manage_poll(user, poll)


@dataclass(frozen=True)
class _Fixed:
    """What never changes once a poll exists: the scope's paths and the option ids."""

    scope_paths: tuple[str, ...]
    option_ids: frozenset[int]


_fixed_cache: dict[tuple[int, datetime], _Fixed] = {}


def _fixed(poll: Poll) -> _Fixed:
    # Scope and options are set by create_poll and never edited, so each process reads
    # them once per poll instead of on every ballot. Keyed with the creation time too,
    # as a test database may hand out the same id again.
    key = (poll.pk, poll.created_at)
    fixed = _fixed_cache.get(key)
    if fixed is None:
        if len(_fixed_cache) > 1000:
            _fixed_cache.clear()
        fixed = _Fixed(
            scope_paths=tuple(a.path for a in poll.scope_areas()),
            option_ids=frozenset(poll.options.values_list("pk", flat=True)),
        )
        _fixed_cache[key] = fixed
    return fixed


def in_poll_scope(household: Household, poll: Poll) -> bool:
    return household.unit.path.startswith(_fixed(poll).scope_paths)


def _scope_q(poll: Poll, field: str) -> Q:
    q = Q(pk__in=[])
    for path in _fixed(poll).scope_paths:
        q |= Q(**{f"{field}__startswith": path})
    return q


def eligible_households(poll: Poll):
    return Household.objects.filter(_scope_q(poll, "unit__path"))


def eligible_residents(poll: Poll):
    return ResidentProfile.objects.filter(
        _scope_q(poll, "household__unit__path"),
        status=ResidentStatus.VERIFIED,
        user__is_active=True,
    )


def tally(poll: Poll) -> dict:
    """Recount from the stored ballots, ignoring the counters (used to check them)."""
    options = list(poll.options.order_by("position", "id"))
    votes = {o.pk: 0 for o in options}
    area = {o.pk: Decimal("0") for o in options}
    if poll.mode == BallotMode.SECRET:
        box = BallotBox.objects.filter(poll=poll).values_list("ballots", flat=True).first()
        ballots = 0
        for choices in box or []:
            ballots += 1
            for option_id in choices:
                votes[option_id] += 1
        participation_area = Participation.objects.filter(poll=poll).aggregate(s=Sum("floor_area"))[
            "s"
        ]
        participants = Participation.objects.filter(poll=poll).count()
    else:
        ballots = Ballot.objects.filter(poll=poll).count()
        participants = ballots
        through = Ballot.options.through.objects.filter(ballot__poll=poll)
        for option_id, floor_area in through.values_list("option_id", "ballot__floor_area"):
            votes[option_id] += 1
            area[option_id] += floor_area or 0
        participation_area = Ballot.objects.filter(poll=poll).aggregate(s=Sum("floor_area"))["s"]
    return {
        "ballots": ballots,
        "participants": participants,
        "area": str(Decimal(participation_area or 0).quantize(Decimal("0.01"))),
        "options": [
            {
                "id": o.pk,
                "votes": votes[o.pk],
                "area": str(area[o.pk].quantize(Decimal("0.01"))),
            }
            for o in options
        ],
    }


def counters(poll: Poll) -> dict:
    """The same shape as `tally`, read from the counters."""
    poll = Poll.objects.get(pk=poll.pk)
    return {
        "ballots": poll.ballots_count,
        "participants": poll.ballots_count,
        "area": str(poll.area_sum),
        "options": [
            {"id": o.pk, "votes": o.votes, "area": str(o.area_sum)}
            for o in poll.options.order_by("position", "id")
        ],
    }


def count_eligible(poll: Poll) -> int:
    """Residents, or households, entitled to vote in `poll` right now."""
    if poll.unit == CountingUnit.HOUSEHOLD:
        return eligible_households(poll).count()
    return eligible_residents(poll).count()


ELIGIBLE_CACHE_SECONDS = 60


def eligible_count(poll: Poll) -> int:
    """How many may vote, for the turnout shown while voting runs.

    Counting a community's residents is the dearest query of a poll page, and a crowd
    opens the page at once when a vote starts; a figure up to a minute old is good
    enough for the gauge. The outcome at close is always counted afresh.
    """

    key = f"poll-eligible:{poll.pk}:{poll.created_at.timestamp()}"
    return cache.get_or_set(key, lambda: count_eligible(poll), ELIGIBLE_CACHE_SECONDS)


def live_snapshot(poll: Poll, user=None, *, with_eligible: bool = True) -> dict:
    """Ballots so far, turnout, and per-option votes unless they are hidden from `user`."""
    poll = Poll.objects.select_related("community").get(pk=poll.pk)
    data: dict = {
        "poll": poll.pk,
        "ballots": poll.ballots_count,
        "closed": poll.closed_at is not None,
        "outcome": poll.outcome,
    }
    if poll.closed_at is not None and poll.figures:
        data["eligible"] = poll.figures["eligible"]
        data["turnout"] = poll.figures["turnout"]
    elif with_eligible:
        # Events after each ballot leave it out (clients keep the figure from their
        # snapshot) so casting stays a few cheap queries.
        eligible = eligible_count(poll)
        data["eligible"] = eligible
        data["turnout"] = _pct(_share(poll.ballots_count, eligible))
    if not results_hidden(poll, user):
        data["options"] = [
            {"id": o.pk, "votes": o.votes} for o in poll.options.order_by("position", "id")
        ]
    return data


def _publish_tally(poll_id: int) -> None:
    """Send the poll's counts after commit, as the least privileged reader sees them.

    Built inside the casting transaction, right after the counters moved, so each
    ballot's event shows exactly that ballot's counts; one query. When several wait to
    be sent for one poll, the newest replaces the others (`latest_only`).
    """
    rows = list(
        Option.objects.filter(poll_id=poll_id)
        .order_by("position", "id")
        .values_list(
            "id", "votes", "poll__ballots_count", "poll__closed_at", "poll__results_visibility"
        )
    )
    if not rows:
        return
    _id, _votes, ballots, closed_at, visibility = rows[0]
    event: dict = {"poll": poll_id, "ballots": ballots, "closed": closed_at is not None}
    if not results_hidden(Poll(closed_at=closed_at, results_visibility=visibility)):
        event["options"] = [{"id": i, "votes": v} for i, v, *_rest in rows]
    live.publish(poll_topic(poll_id), event, latest_only=True)


def _publish(poll: Poll) -> None:
    # Built inside the transaction, so it shows this change; sent after commit to every
    # subscriber, so it is built as for the least privileged reader.
    live.publish(poll_topic(poll.pk), live_snapshot(poll, None, with_eligible=False))


# --- creating ----------------------------------------------------------------


def create_poll(
    *,
    actor: User,
    community: Area,
    question: str,
    kind: str,
    options: Sequence[str] = (),
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    unit: str = CountingUnit.RESIDENT,
    mode: str = BallotMode.OPEN,
    results_visibility: str = ResultsVisibility.LIVE,
    min_picks: int = 1,
    max_picks: int = 1,
    scope: Iterable[Area] = (),
    hall: HallPage | None = None,
    description: str = "",
    quorum_percent: int = 0,
    threshold: str = Threshold.HALF,
    double_majority: bool = False,
    special_matter: bool = False,
) -> Poll:
    if not can(actor, Action.MANAGE_CONTENT, community):
        raise PermissionDenied(_("Only staff of this community can create polls."))
    question = (question or "").strip()
    if not question:
        raise ValidationError(_("Write the question residents vote on."))
    if kind not in PollKind.values or unit not in CountingUnit.values:
        raise ValidationError(_("Choose what kind of poll this is and how votes count."))
    if mode not in BallotMode.values or results_visibility not in ResultsVisibility.values:
        raise ValidationError(_("Choose the ballot mode and when results are shown."))
    if threshold not in Threshold.values:
        raise ValidationError(_("Choose what share is needed to pass."))
    if hall is not None:
        # A hall's poll opens with its voting phase unless staff set other times.
        opens_at = opens_at or hall.voting_opens_at
        closes_at = closes_at or hall.closes_at
    if opens_at is None or closes_at is None:
        raise ValidationError(_("Choose when voting opens and closes."))
    if not opens_at < closes_at:
        raise ValidationError(_("The poll has to open before it closes."))
    if not 0 <= quorum_percent <= 100:
        raise ValidationError(_("The quorum is a percentage from 0 to 100."))
    if double_majority and (unit != CountingUnit.HOUSEHOLD or mode != BallotMode.OPEN):
        raise ValidationError(_("An owners' double majority counts one open ballot per household."))
    if kind == PollKind.FOR_AGAINST:
        labels = [str(_("For")), str(_("Against")), str(_("Abstain"))]
        stances = [OptionStance.FOR, OptionStance.AGAINST, OptionStance.ABSTAIN]
    else:
        labels = [(label or "").strip() for label in options]
        stances = [OptionStance.NONE] * len(labels)
    if any(not label for label in labels):
        raise ValidationError(_("Every option needs a label."))
    if not MIN_OPTIONS <= len(labels) <= MAX_OPTIONS:
        raise ValidationError(
            _("A poll has from %(min)s to %(max)s options.")
            % {"min": MIN_OPTIONS, "max": MAX_OPTIONS}
        )
    if len({label.casefold() for label in labels}) != len(labels):
        raise ValidationError(_("Two options have the same label."))
    if kind == PollKind.MULTIPLE:
        if not 1 <= min_picks <= max_picks <= len(labels):
            raise ValidationError(
                _("Choose how many options a voter picks: at least 1, at most %(n)s.")
                % {"n": len(labels)}
            )
    else:
        min_picks = max_picks = 1
    scope = list(scope)
    if any(not community.contains(area) for area in scope):
        raise ValidationError(_("Every area that votes has to lie in this community."))
    if hall is not None and hall.community_id != community.pk:
        raise ValidationError(_("The hall belongs to another community."))
    with transaction.atomic():
        poll = Poll.objects.create(
            community=community,
            hall=hall,
            question=question,
            description=description.strip(),
            kind=kind,
            min_picks=min_picks,
            max_picks=max_picks,
            unit=unit,
            mode=mode,
            opens_at=opens_at,
            closes_at=closes_at,
            results_visibility=results_visibility,
            quorum_percent=quorum_percent,
            threshold=threshold,
            double_majority=double_majority,
            special_matter=special_matter,
            created_by=actor,
        )
        poll.scope.set(scope)
        if mode == BallotMode.SECRET:
            BallotBox.objects.create(poll=poll)
        Option.objects.bulk_create(
            Option(poll=poll, label=label, position=i, stance=stance)
            for i, (label, stance) in enumerate(zip(labels, stances, strict=True))
        )
    return poll


# --- casting -----------------------------------------------------------------


def voting_household(user: User, poll: Poll) -> Household:
    """The household `user` votes for, or a ValidationError saying why not (one query)."""
    profile = (
        ResidentProfile.objects.select_related("household__unit")
        .filter(user_id=user.pk, user__is_active=True, status=ResidentStatus.VERIFIED)
        .first()
        if user.is_authenticated
        else None
    )
    if profile is None:
        raise ValidationError(
            _("Only residents whose household has been verified by community staff can vote.")
        )
    household = profile.household
    if not in_poll_scope(household, poll):
        raise ValidationError(_("Your home lies outside the area that votes in this poll."))
    return household


def _check_open(poll: Poll, now: datetime) -> None:
    if poll.closed_at is not None or now >= poll.closes_at:
        raise ValidationError(_("This poll is closed."))
    if now < poll.opens_at:
        raise ValidationError(_("This poll has not opened yet."))


def _picked(poll: Poll, option_ids: Iterable) -> list[Option]:
    try:
        ids = sorted({int(i) for i in option_ids})
    except (TypeError, ValueError):
        raise ValidationError(_("Choose from this poll's options.")) from None
    if not set(ids) <= _fixed(poll).option_ids:
        raise ValidationError(_("Choose from this poll's options."))
    # Only the ids are used from here on; model instances compare by primary key.
    options = [Option(pk=i, poll_id=poll.pk) for i in ids]
    if poll.kind != PollKind.MULTIPLE:
        if len(ids) != 1:
            raise ValidationError(_("Choose exactly one option."))
    elif not poll.min_picks <= len(ids) <= poll.max_picks:
        if poll.min_picks == poll.max_picks:
            raise ValidationError(_("Choose exactly %(n)s options.") % {"n": poll.max_picks})
        raise ValidationError(
            _("Choose from %(min)s to %(max)s options.")
            % {"min": poll.min_picks, "max": poll.max_picks}
        )
    return options


def _count(
    poll: Poll, options: list[Option], area: Decimal, sign: int, *, new_unit: bool, now: datetime
) -> None:
    """Move the counters by one ballot. The poll row is updated first, with the open
    check in its WHERE clause, so a ballot racing close_poll is refused, and all writers
    take the poll lock before any option lock, which rules out deadlocks between them."""
    if new_unit:
        updated = Poll.objects.filter(
            pk=poll.pk, closed_at__isnull=True, opens_at__lte=now, closes_at__gt=now
        ).update(ballots_count=F("ballots_count") + 1, area_sum=F("area_sum") + area)
    else:
        updated = Poll.objects.filter(
            pk=poll.pk, closed_at__isnull=True, opens_at__lte=now, closes_at__gt=now
        ).update(ballots_count=F("ballots_count"))
    if updated != 1:
        raise ValidationError(_("This poll is closed."))
    if poll.mode == BallotMode.SECRET:
        # Every option row is rewritten, chosen or not, so no counter keeps the id of
        # the last transaction that chose it (see BallotBox). Secret choices are never
        # tied to a floor area: per-option area is for open polls only.
        chosen = [o.pk for o in options]
        Option.objects.filter(poll=poll).update(
            votes=F("votes") + Case(When(pk__in=chosen, then=Value(sign)), default=Value(0))
        )
    elif options:
        Option.objects.filter(pk__in=[o.pk for o in options]).update(
            votes=F("votes") + sign, area_sum=F("area_sum") + sign * area
        )


def cast_ballot(
    *,
    voter: User,
    poll: Poll,
    option_ids: Iterable,
    paper_for: User | None = None,
    paper_household: Household | None = None,
    paper_name: str = "",
    recorded_by: User | None = None,
) -> Ballot | None:
    """Record a vote. Returns the open `Ballot`, or None for a secret poll.

    Online: `voter` votes for themselves. Paper: staff (`recorded_by`, or `voter` when it
    is not given) enter the paper ballot of the named resident `paper_for`, or, in a
    one-vote-per-household poll, of `paper_household` signed by `paper_name`.
    """
    now = timezone.now()
    poll = Poll.objects.select_related("community").get(pk=poll.pk)
    paper = paper_for is not None or paper_household is not None
    paper_name = (paper_name or "").strip()[:100]
    if paper:
        recorder = recorded_by or voter
        if not can(recorder, Action.MANAGE_CONTENT, poll.community):
            raise PermissionDenied(_("Only staff of this community can enter paper ballots."))
        owner = paper_for
    else:
        if recorded_by is not None:
            raise ValidationError(_("Only paper ballots are recorded by staff."))
        recorder = None
        owner = voter
    _check_open(poll, now)
    if owner is not None:
        household = voting_household(owner, poll)
        if paper_household is not None and paper_household.pk != household.pk:
            raise ValidationError(_("This resident belongs to another household."))
    else:
        if poll.unit != CountingUnit.HOUSEHOLD:
            raise ValidationError(
                _("In a one-vote-per-resident poll a paper ballot names a verified resident.")
            )
        if not paper_name:
            raise ValidationError(_("Write the name signed on the paper ballot."))
        household = paper_household
        if not in_poll_scope(household, poll):
            raise ValidationError(
                _("This household lies outside the area that votes in this poll.")
            )
    options = _picked(poll, option_ids)
    unit_key = f"h:{household.pk}" if poll.unit == CountingUnit.HOUSEHOLD else f"u:{owner.pk}"
    area = household.floor_area or Decimal("0")
    if unit_key.startswith("h:"):
        taken = _("A ballot has already been cast for this household.")
    else:
        taken = _("A ballot has already been cast for this resident.")
    recorded = {
        "poll": poll,
        "voter": owner,
        "household": household,
        "unit_key": unit_key,
        "floor_area": area,
        "paper": paper,
        "voter_name": paper_name if paper else "",
        "recorded_by": recorder,
    }

    ballot = None
    with transaction.atomic():
        if poll.mode == BallotMode.SECRET:
            try:
                # The savepoint lets the unique constraint fail without spoiling the outer
                # transaction; the constraint, not a check in Python, is the real guard.
                with transaction.atomic():
                    Participation.objects.create(at=now, **recorded)
            except IntegrityError:
                if unit_key.startswith("h:"):
                    message = _(
                        "A ballot has already been cast for this household. "
                        "Secret ballots cannot be changed."
                    )
                else:
                    message = _(
                        "A ballot has already been cast for this resident. "
                        "Secret ballots cannot be changed."
                    )
                raise ValidationError(message) from None
            # Counters first: _count takes the poll row lock, which also serialises the
            # writers of the box below.
            _count(poll, options, area, 1, new_unit=True, now=now)
            box = BallotBox.objects.select_for_update().get(poll=poll)
            bisect.insort(box.ballots, [o.pk for o in options])
            box.save(update_fields=["ballots"])
        else:
            try:
                # Insert first: a new ballot, the common case, needs no lookup. The
                # unique constraint sends a second ballot for the unit to the change path.
                with transaction.atomic():
                    ballot = Ballot.objects.create(cast_at=now, **recorded)
            except IntegrityError:
                ballot = None
            existing = (
                None
                if ballot is not None
                else Ballot.objects.select_for_update().filter(poll=poll, unit_key=unit_key).first()
            )
            if ballot is not None:
                Ballot.options.through.objects.bulk_create(
                    Ballot.options.through(ballot_id=ballot.pk, option_id=o.pk) for o in options
                )
                _count(poll, options, area, 1, new_unit=True, now=now)
            elif existing is None:
                # The other ballot went away between our insert and our look-up.
                raise ValidationError(taken)
            else:
                # Only the same voter may change, and an online ballot never replaces a
                # paper one (nor the other way round): one unit, one counted ballot.
                if owner is not None:
                    same_voter = existing.voter_id == owner.pk
                else:
                    # A household's paper ballot is changed only under the same signature.
                    same_voter = existing.voter_id is None and existing.voter_name == paper_name
                if not same_voter or existing.paper != paper:
                    raise ValidationError(taken)
                old = list(existing.options.order_by("pk"))
                # The changed ballot keeps the area it was counted with.
                area = existing.floor_area
                _count(poll, [], area, 0, new_unit=False, now=now)
                removed = [o for o in old if o not in options]
                added = [o for o in options if o not in old]
                if removed:
                    Option.objects.filter(pk__in=[o.pk for o in removed]).update(
                        votes=F("votes") - 1, area_sum=F("area_sum") - area
                    )
                if added:
                    Option.objects.filter(pk__in=[o.pk for o in added]).update(
                        votes=F("votes") + 1, area_sum=F("area_sum") + area
                    )
                existing.options.set([o.pk for o in options])
                existing.changed_at = now
                if paper:
                    existing.recorded_by = recorder
                existing.save(update_fields=["changed_at", "recorded_by", "voter_name"])
                ballot = existing
        _publish_tally(poll.pk)
    return ballot


# --- closing -----------------------------------------------------------------


def _share(part, whole) -> Fraction:
    return Fraction(part) / Fraction(whole) if whole else Fraction(0)


def _meets(share: Fraction, threshold: str) -> bool:
    needed, strict = _THRESHOLDS[threshold]
    return share > needed if strict else share >= needed


def _pct(share: Fraction) -> float:
    return round(float(share) * 100, 2)


def compute_outcome(poll: Poll) -> dict:
    """The outcome and the figures it rests on, from a fresh recount."""
    counted = tally(poll)
    options = list(poll.options.order_by("position", "id"))
    by_id = {row["id"]: row for row in counted["options"]}
    participants = counted["participants"]
    eligible = count_eligible(poll)
    turnout = _share(participants, eligible)
    figures: dict = {
        "eligible": eligible,
        "participants": participants,
        "turnout": _pct(turnout),
        "quorum_percent": poll.quorum_percent,
        "options": [
            {
                "id": o.pk,
                "label": o.label,
                "votes": by_id[o.pk]["votes"],
                "area": by_id[o.pk]["area"],
            }
            for o in options
        ],
    }
    quorum_met = participants > 0 and turnout * 100 >= poll.quorum_percent
    if poll.kind == PollKind.FOR_AGAINST:
        leading = next(o for o in options if o.stance == OptionStance.FOR)
    else:
        leading = max(options, key=lambda o: (by_id[o.pk]["votes"], -o.position))
    figures["leading_option"] = leading.pk

    if poll.double_majority:
        needed = Threshold.THREE_QUARTERS if poll.special_matter else Threshold.HALF
        total_area = Decimal(eligible_households(poll).aggregate(s=Sum("floor_area"))["s"] or 0)
        part_area = Decimal(counted["area"])
        area_turnout = _share(part_area, total_area)
        owner_turnout = turnout
        # Art. 278: at least two thirds of both area and owners take part.
        dm_quorum = area_turnout >= Fraction(2, 3) and owner_turnout >= Fraction(2, 3)
        for_area = Decimal(by_id[leading.pk]["area"])
        for_owners = by_id[leading.pk]["votes"]
        area_share = _share(for_area, part_area)
        owner_share = _share(for_owners, participants)
        area_ok = _meets(area_share, needed)
        owners_ok = _meets(owner_share, needed)
        figures.update(
            total_area=str(total_area.quantize(Decimal("0.01"))),
            participating_area=str(part_area),
            area_turnout=_pct(area_turnout),
            owner_turnout=_pct(owner_turnout),
            approval_area=_pct(area_share),
            approval_owners=_pct(owner_share),
            area_approved=area_ok,
            owners_approved=owners_ok,
            threshold=needed,
        )
        quorum_met = quorum_met and dm_quorum
        approved = area_ok and owners_ok
    else:
        share = _share(by_id[leading.pk]["votes"], counted["ballots"])
        approved = _meets(share, poll.threshold)
        figures.update(approval=_pct(share), threshold=poll.threshold)
    figures["quorum_met"] = quorum_met
    figures["approved"] = approved
    if not quorum_met:
        outcome = Outcome.NO_QUORUM
    else:
        outcome = Outcome.PASSED if approved else Outcome.REJECTED
    figures["outcome"] = outcome
    return figures


def close_poll(*, actor: User | None, poll: Poll, early: bool = False) -> Poll:
    """Close a poll and store its outcome with the figures.

    Normally after its voting time is over; `early` lets staff end voting before that
    (say, once every household has voted), which the figures record. `actor=None` is the
    portal itself closing a poll whose time is over (see `close_due_polls`).
    """
    with transaction.atomic():
        poll = Poll.objects.select_for_update().select_related("community").get(pk=poll.pk)
        if actor is None:
            if early:
                raise PermissionDenied(_("Only staff of this community can close polls."))
        elif not may_manage_poll(actor, poll):
            raise PermissionDenied(_("Only staff of this community can close polls."))
        if poll.closed_at is not None:
            raise ValidationError(_("This poll has already been closed."))
        now = timezone.now()
        closed_early = now < poll.closes_at
        if closed_early and not early:
            raise ValidationError(_("A poll can be closed only after its voting time is over."))
        if now < poll.opens_at:
            raise ValidationError(_("This poll has not opened yet."))
        figures = compute_outcome(poll)
        figures["closed_early"] = closed_early
        poll.figures = figures
        poll.outcome = figures["outcome"]
        poll.closed_at = now
        poll.save(update_fields=["figures", "outcome", "closed_at"])
        _publish(poll)
    return poll


def close_due_polls() -> list[Poll]:
    """Close every poll whose voting time is over, so outcomes never wait for a click."""
    closed = []
    due = Poll.objects.filter(closed_at__isnull=True, closes_at__lte=timezone.now())
    for poll in due.order_by("closes_at", "pk"):
        try:
            closed.append(close_poll(actor=None, poll=poll))
        except ValidationError:
            # Closed meanwhile by staff or another run: nothing left to do.
            continue
    return closed
