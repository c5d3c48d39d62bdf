"""What staff read about a poll: its summary, breakdown by grid and building, paper entries,
the CSV export, and the 结果 notice its result is published in.

Reading functions never change anything. `publish_result` is the one state change here and
follows the service rules: keyword-only, permission checked inside, one transaction.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import IO
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.html import escape, format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from wagtail.coreutils import find_available_slug
from wagtail.rich_text import RichText

from cms.models import CommunityPage, NoticeCategory, NoticeIndexPage, NoticePage
from portal.models import Area, User

from .models import HallPage
from .poll_services import (
    count_eligible,
    eligible_households,
    eligible_residents,
    may_manage_poll,
)
from .polls import (
    Ballot,
    CountingUnit,
    Option,
    Outcome,
    Participation,
    Poll,
    Threshold,
)

# Cells a spreadsheet would run as a formula. Tab and carriage return count too: some
# spreadsheets strip them and then read what follows.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# --- status and summary ------------------------------------------------------


class Status:
    UPCOMING = "upcoming"
    OPEN = "open"
    COUNTING = "counting"
    CLOSED = "closed"


def status_of(poll: Poll, now: datetime | None = None) -> str:
    """Where the poll stands for staff: not open, open, voting over (not yet counted), closed."""
    now = now or timezone.now()
    if poll.closed_at is not None:
        return Status.CLOSED
    if now < poll.opens_at:
        return Status.UPCOMING
    if now >= poll.closes_at:
        return Status.COUNTING
    return Status.OPEN


def status_label(poll: Poll, now: datetime | None = None) -> str:
    status = status_of(poll, now)
    if status == Status.CLOSED:
        outcome = Outcome(poll.outcome).label if poll.outcome else ""
        return _("Closed: %(outcome)s") % {"outcome": outcome}
    return {
        Status.UPCOMING: _("Not open yet"),
        Status.OPEN: pgettext("poll status", "Open"),
        Status.COUNTING: _("Voting over, not yet counted"),
    }[status]


def eligible_count(poll: Poll) -> int:
    """Voters (or households) entitled to vote; a closed poll keeps the figure it closed with."""
    if poll.closed_at is not None and "eligible" in poll.figures:
        return poll.figures["eligible"]
    return count_eligible(poll)


def percent(part, whole) -> float:
    """A share in percent, two decimals; 0 when there is nothing to share."""
    if not whole:
        return 0.0
    return round(float(Decimal(part) / Decimal(whole)) * 100, 2)


def beijing(value: datetime | None) -> str:
    """A time as residents read it: in the district's time zone, whatever the viewer's."""
    if value is None:
        return ""
    return timezone.localtime(value, ZoneInfo(settings.TIME_ZONE)).strftime("%Y-%m-%d %H:%M")


@dataclass
class OptionRow:
    label: str
    votes: int
    share: float
    area: Decimal


@dataclass
class Summary:
    poll: Poll
    status: str
    status_label: str
    options: list[OptionRow]
    eligible: int
    ballots: int
    turnout: float
    outcome: str  # the outcome's label, or "" while the poll is not closed

    @property
    def shows_area(self) -> bool:
        return self.poll.double_majority


def summary(poll: Poll, now: datetime | None = None) -> Summary:
    """The counters as staff see them on the page and in the export."""
    poll = Poll.objects.select_related("community").get(pk=poll.pk)
    ballots = poll.ballots_count
    eligible = eligible_count(poll)
    return Summary(
        poll=poll,
        status=status_of(poll, now),
        status_label=status_label(poll, now),
        options=[
            OptionRow(o.label, o.votes, percent(o.votes, ballots), o.area_sum)
            for o in Option.objects.filter(poll=poll).order_by("position", "id")
        ],
        eligible=eligible,
        ballots=ballots,
        turnout=percent(ballots, eligible),
        outcome=Outcome(poll.outcome).label if poll.outcome else "",
    )


def result_figures(poll: Poll) -> list[tuple[str, str]]:
    """The figures a closed poll's outcome rests on, as (label, value) lines."""
    f = poll.figures
    if poll.closed_at is None or not f:
        return []

    def yes_no(flag) -> str:
        return _("met") if flag else _("not met")

    lines = [
        (_("Outcome"), Outcome(f["outcome"]).label),
        (_("Entitled to vote"), str(f["eligible"])),
        (_("Took part"), str(f["participants"])),
        (
            _("Turnout"),
            _("%(turnout)s%% (quorum %(quorum)s%%: %(met)s)")
            % {
                "turnout": f["turnout"],
                "quorum": f["quorum_percent"],
                "met": yes_no(f["quorum_met"]),
            },
        ),
    ]
    leading = next((o["label"] for o in f["options"] if o["id"] == f.get("leading_option")), "")
    needed = Threshold(f["threshold"]).label
    if poll.double_majority:
        lines += [
            (
                _("Floor area taking part"),
                _("%(part)s of %(total)s m² (%(share)s%%)")
                % {
                    "part": f["participating_area"],
                    "total": f["total_area"],
                    "share": f["area_turnout"],
                },
            ),
            (_("Owners taking part"), f"{f['owner_turnout']}%"),
            (
                _("Approval by floor area for “%(option)s”") % {"option": leading},
                f"{f['approval_area']}% ({yes_no(f['area_approved'])})",
            ),
            (
                _("Approval by owners for “%(option)s”") % {"option": leading},
                f"{f['approval_owners']}% ({yes_no(f['owners_approved'])})",
            ),
            (_("Needed to pass"), needed),
        ]
    else:
        lines += [
            (_("Approval for “%(option)s”") % {"option": leading}, f"{f['approval']}%"),
            (_("Needed to pass"), needed),
        ]
    if f.get("closed_early"):
        lines.append((_("Voting ended early"), beijing(poll.closed_at)))
    else:
        lines.append((_("Closed at"), beijing(poll.closed_at)))
    return lines


# --- breakdown by grid and building -----------------------------------------


@dataclass
class BreakdownRow:
    path: str
    name: str
    grid: str  # the grid a building lies in; "" on grid rows
    eligible: int = 0
    ballots: int = 0
    votes: list[int] | None = None  # per option, in option order; None for secret polls

    @property
    def turnout(self) -> float:
        return percent(self.ballots, self.eligible)


@dataclass
class Breakdown:
    secret: bool
    options: list[str]
    grids: list[BreakdownRow] = field(default_factory=list)
    buildings: list[BreakdownRow] = field(default_factory=list)


def _prefix(path: str, depth: int) -> str:
    return path[: depth * Area.steplen]


def breakdown(poll: Poll) -> Breakdown:
    """Ballots (and, for open polls, votes per option) per grid and per building.

    Counts are grouped by unit in the database and rolled up here by path prefix, so the
    cost is a handful of queries whatever the number of ballots. Secret polls give
    participation only: choices per building would reveal how a small building voted.
    """
    community = poll.community
    grid_depth, building_depth = community.depth + 1, community.depth + 2
    options = list(Option.objects.filter(poll=poll).order_by("position", "id"))
    column = {o.pk: i for i, o in enumerate(options)}
    result = Breakdown(secret=poll.is_secret, options=[o.label for o in options])

    if poll.unit == CountingUnit.HOUSEHOLD:
        eligible_rows = eligible_households(poll).values_list("unit__path").annotate(n=Count("id"))
    else:
        eligible_rows = (
            eligible_residents(poll).values_list("household__unit__path").annotate(n=Count("id"))
        )
    counted = Participation if poll.is_secret else Ballot
    ballot_rows = (
        counted.objects.filter(poll=poll)
        .values_list("household__unit__path")
        .annotate(n=Count("id"))
        .order_by()
    )
    vote_rows: Iterable = []
    if not poll.is_secret:
        vote_rows = (
            Ballot.options.through.objects.filter(ballot__poll=poll)
            .values_list("ballot__household__unit__path", "option_id")
            .annotate(n=Count("id"))
            .order_by()
        )

    rows: dict[str, BreakdownRow] = {}

    def rows_for(unit_path: str) -> list[BreakdownRow]:
        found = []
        for depth in (grid_depth, building_depth):
            key = _prefix(unit_path, depth)
            if key not in rows:
                rows[key] = BreakdownRow(
                    path=key, name="", grid="", votes=None if poll.is_secret else [0] * len(options)
                )
            found.append(rows[key])
        return found

    for unit_path, n in eligible_rows.order_by():
        for row in rows_for(unit_path):
            row.eligible += n
    for unit_path, n in ballot_rows:
        for row in rows_for(unit_path):
            row.ballots += n
    for unit_path, option_id, n in vote_rows:
        for row in rows_for(unit_path):
            row.votes[column[option_id]] += n

    names = dict(Area.objects.filter(path__in=list(rows)).values_list("path", "name"))
    for path, row in sorted(rows.items()):
        row.name = names.get(path, "")
        if len(path) == grid_depth * Area.steplen:
            result.grids.append(row)
        else:
            row.grid = names.get(_prefix(path, grid_depth), "")
            result.buildings.append(row)
    return result


# --- who voted: ballots, participations, paper entries --------------------------


def _place_names(paths: Iterable[str], community: Area) -> dict[str, str]:
    """Names of the grids and buildings above the given unit paths, in one query."""
    wanted = set()
    for path in paths:
        for depth in (community.depth + 1, community.depth + 2):
            wanted.add(_prefix(path, depth))
    return dict(Area.objects.filter(path__in=wanted).values_list("path", "name"))


@dataclass
class VoteEntry:
    """One counted vote as staff see it. `choices` stays None for secret polls."""

    voter: str
    household: str
    grid: str
    building: str
    unit: str
    room: str
    name_on_paper: str
    at: datetime
    changed_at: datetime | None
    paper: bool
    recorded_by: str
    choices: list[str] | None


def vote_entries(poll: Poll, *, paper_only: bool = False) -> list[VoteEntry]:
    """Every ballot (open polls) or participation (secret polls), oldest first.

    A secret poll's entries say who took part and never what they chose: nothing stored
    links the two, and nothing here tries to.
    """
    model = Participation if poll.is_secret else Ballot
    rows = model.objects.filter(poll=poll).select_related("voter", "household__unit", "recorded_by")
    if paper_only:
        rows = rows.filter(paper=True)
    if poll.is_secret:
        rows = rows.order_by("at", "id")
    else:
        rows = rows.prefetch_related("options").order_by("cast_at", "id")
    rows = list(rows)
    names = _place_names([r.household.unit.path for r in rows], poll.community)
    grid_depth, building_depth = poll.community.depth + 1, poll.community.depth + 2
    entries = []
    for r in rows:
        unit_path = r.household.unit.path
        choices = None
        if not poll.is_secret:
            choices = [o.label for o in sorted(r.options.all(), key=lambda o: (o.position, o.pk))]
        entries.append(
            VoteEntry(
                voter=(r.voter.name or r.voter.email) if r.voter_id else "",
                household=str(r.household),
                grid=names.get(_prefix(unit_path, grid_depth), ""),
                building=names.get(_prefix(unit_path, building_depth), ""),
                unit=r.household.unit.name,
                room=r.household.label,
                name_on_paper=r.voter_name,
                at=r.at if poll.is_secret else r.cast_at,
                changed_at=None if poll.is_secret else r.changed_at,
                paper=r.paper,
                recorded_by=str(r.recorded_by) if r.recorded_by_id else "",
                choices=choices,
            )
        )
    return entries


# --- CSV export --------------------------------------------------------------


def safe_cell(value) -> str | int | float:
    """A cell a spreadsheet shows as text: a leading apostrophe stops formula injection."""
    if isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return value
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_STARTS):
        return "'" + text
    return text


def export_rows(poll: Poll) -> Iterator[list]:
    """The export, row by row: the summary the page shows, then one row per vote."""
    data = summary(poll)
    poll = data.poll
    yes, no = _("yes"), _("no")
    yield [pgettext("poll", "Question"), poll.question]
    yield [_("Community"), poll.community.name]
    yield [_("Status"), data.status_label]
    yield [_("Voting opens"), beijing(poll.opens_at)]
    yield [_("Voting closes"), beijing(poll.closes_at)]
    yield []
    header = [_("Option"), _("Votes"), _("Share of ballots (%)")]
    if data.shows_area:
        header.append(_("Floor area (m²)"))
    yield header
    for option in data.options:
        row = [option.label, option.votes, option.share]
        if data.shows_area:
            row.append(option.area)
        yield row
    yield []
    yield [_("Entitled to vote"), data.eligible]
    yield [_("Ballots"), data.ballots]
    yield [_("Turnout (%)"), data.turnout]
    yield [_("Outcome"), data.outcome or "—"]
    yield []
    entries = vote_entries(poll)
    place = [
        _("Grid"),
        _("Building"),
        pgettext("part of a building", "Unit"),
        _("Room"),
        _("Voter"),
        _("Name on paper"),
    ]
    if poll.is_secret:
        # Who took part, never what they chose: there is no choice column at all.
        yield [_("Participation")]
        yield place + [_("Took part at"), _("Paper ballot"), _("Recorded by")]
        for e in entries:
            yield [
                e.grid,
                e.building,
                e.unit,
                e.room,
                e.voter,
                e.name_on_paper,
                beijing(e.at),
                yes if e.paper else no,
                e.recorded_by,
            ]
    else:
        yield [_("Ballots")]
        yield place + [
            _("Choices"),
            _("Cast at"),
            _("Changed at"),
            _("Paper ballot"),
            _("Recorded by"),
        ]
        for e in entries:
            yield [
                e.grid,
                e.building,
                e.unit,
                e.room,
                e.voter,
                e.name_on_paper,
                " / ".join(e.choices or []),
                beijing(e.at),
                beijing(e.changed_at),
                yes if e.paper else no,
                e.recorded_by,
            ]


def write_csv(poll: Poll, out: IO[str]) -> None:
    """Write the export to a text stream, with a BOM so Excel reads the Chinese as UTF-8."""
    out.write("\ufeff")
    writer = csv.writer(out)
    for row in export_rows(poll):
        writer.writerow([safe_cell(cell) for cell in row])


# --- publishing the result ---------------------------------------------------


def poll_page_url(poll: Poll) -> str:
    """The residents' page of the poll."""
    try:
        return reverse("consultation:poll", args=[poll.pk])
    except NoReverseMatch:
        return f"/polls/{poll.pk}/"


def _notice_body(poll: Poll) -> list[tuple[str, object]]:
    data = summary(poll)
    figures = result_figures(poll)
    outcome = Outcome(poll.outcome).label
    blocks: list[tuple[str, object]] = [
        (
            "paragraph",
            RichText(
                format_html(
                    "<p>{} <b>{}</b></p><p>{}</p>",
                    _("The residents' vote on this question has been counted:"),
                    outcome,
                    poll.question,
                )
            ),
        ),
        (
            "paragraph",
            RichText(
                format_html(
                    "<h3>{}</h3><ul>{}</ul>",
                    _("Figures"),
                    format_html_join("", "<li>{}: {}</li>", figures[1:]),
                )
            ),
        ),
    ]
    header = [_("Option"), _("Votes"), _("Share of ballots (%)")]
    if data.shows_area:
        header.append(_("Floor area (m²)"))
    table = [header]
    for option in data.options:
        row = [option.label, str(option.votes), str(option.share)]
        if data.shows_area:
            row.append(str(option.area))
        table.append(row)
    blocks.append(
        (
            "table",
            {
                "data": table,
                "first_row_is_table_header": True,
                "first_col_is_header": True,
                "table_caption": _("Votes per option"),
            },
        )
    )
    hall = poll.hall
    if hall is not None and hall.minutes:
        # The minutes were sanitised when written (or entered through the admin editor).
        blocks.append(("paragraph", RichText(f"<h3>{escape(_('Minutes'))}</h3>{hall.minutes}")))
    links = [format_html('<a href="{}">{}</a>', poll_page_url(poll), _("The poll"))]
    if hall is not None:
        # A page link by id, so it follows the hall if the page moves.
        links.append(format_html('<a linktype="page" id="{}">{}</a>', hall.pk, hall.title))
    blocks.append(("paragraph", RichText(f"<p>{' · '.join(links)}</p>")))
    return blocks


def _mark_hall_result(hall: HallPage, actor: User, when: datetime) -> None:
    """The hall shows its result phase from now on, or once its own voting time is over:
    a hall's result cannot come before it closes (HallPage.clean)."""
    hall = HallPage.objects.select_for_update().get(pk=hall.pk)
    if hall.result_published_at is not None:
        return
    hall.result_published_at = max(when, hall.closes_at)
    # A new published revision, so a later edit in the admin keeps the date. The staff
    # member need not be allowed to publish the hall page: publishing the result is.
    revision = hall.save_revision(user=actor, log_action=True)
    revision.publish(user=actor, skip_permission_checks=True)


@transaction.atomic
def publish_result(*, actor: User, poll: Poll) -> NoticePage:
    """Publish a closed poll's result as a 结果 notice in the community's notice list.

    Published at once when the actor may publish there; otherwise saved as a draft and
    submitted to the community's moderation workflow (if it has one). Only once per poll.
    """
    # Only the poll row is locked: hall and notice are nullable, and PostgreSQL cannot lock
    # the nullable side of an outer join.
    poll = (
        Poll.objects.select_for_update(of=("self",))
        .select_related("community", "hall")
        .get(pk=poll.pk)
    )
    if not may_manage_poll(actor, poll):
        raise PermissionDenied(_("Only staff of this community can publish poll results."))
    if poll.closed_at is None:
        raise ValidationError(_("A result is published after the poll is closed and counted."))
    if poll.result_notice_id is not None:
        raise ValidationError(_("The result of this poll has already been published."))
    community_page = CommunityPage.objects.filter(area=poll.community).first()
    index = NoticeIndexPage.objects.child_of(community_page).first() if community_page else None
    if index is None:
        raise ValidationError(_("This community has no notice list to publish the result in."))

    # Stored content is written in the portal's primary language, like other notices.
    with translation.override(settings.LANGUAGE_CODE):
        title = _("Poll result: %(question)s") % {"question": poll.question}
        body = _notice_body(poll)
    notice = NoticePage(
        title=title[:255],
        slug=find_available_slug(index, f"poll-{poll.pk}-result"),
        category=NoticeCategory.RESULT,
        body=body,
        live=False,
    )
    index.add_child(instance=notice)
    revision = notice.save_revision(user=actor, log_action=True)
    if notice.permissions_for_user(actor).can_publish():
        revision.publish(user=actor)
        if poll.hall is not None:
            _mark_hall_result(poll.hall, actor, timezone.now())
    else:
        workflow = notice.get_workflow()
        if workflow is not None:
            workflow.start(notice, actor)
    Poll.objects.filter(pk=poll.pk).update(result_notice=notice)
    # Publishing works on a copy loaded from the revision; return the page as stored.
    return NoticePage.objects.get(pk=notice.pk)


def on_notice_published(sender, instance, revision=None, **kwargs) -> None:
    """A result notice approved through moderation marks its hall when it goes live."""
    poll = (
        Poll.objects.filter(result_notice_id=instance.pk, hall__isnull=False)
        .select_related("hall")
        .first()
    )
    if poll is None:
        return
    user = getattr(revision, "user", None)
    _mark_hall_result(poll.hall, user, timezone.now())


def connect_signals() -> None:
    from wagtail.signals import page_published

    page_published.connect(
        on_notice_published, sender=NoticePage, dispatch_uid="poll_result_notice_published"
    )
