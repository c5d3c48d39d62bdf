"""Polls (投票): a decision put to residents, with options, ballots and counters.

Open polls keep one changeable `Ballot` per counting unit. Secret polls split a vote
into a `Participation` (who took part) and an entry in the poll's `BallotBox` (what was
chosen) that nothing stored can join back together. The unique (poll, unit_key) constraints are
what keeps one vote per resident or household under concurrent requests.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from portal import live
from portal.models import Area, AreaKind, Household


class PollKind(models.TextChoices):
    SINGLE = "single", _("One choice")
    MULTIPLE = "multiple", _("Several choices")
    FOR_AGAINST = "for_against", _("For, against or abstain")


class CountingUnit(models.TextChoices):
    RESIDENT = "resident", _("One vote per resident")
    HOUSEHOLD = "household", _("One vote per household")


class BallotMode(models.TextChoices):
    OPEN = "open", _("Open ballot")
    SECRET = "secret", _("Secret ballot")


class ResultsVisibility(models.TextChoices):
    LIVE = "live", _("Shown while voting")
    AFTER_CLOSE = "after_close", _("Shown after the poll closes")


class Threshold(models.TextChoices):
    HALF = "half", _("More than half of those taking part")
    TWO_THIRDS = "two_thirds", _("At least two thirds of those taking part")
    THREE_QUARTERS = "three_quarters", _("At least three quarters of those taking part")


class Outcome(models.TextChoices):
    PASSED = "passed", _("Passed")
    REJECTED = "rejected", _("Rejected")
    NO_QUORUM = "no_quorum", _("Not enough participation")


class OptionStance(models.TextChoices):
    NONE = "", _("Choice")
    FOR = "for", _("For")
    AGAINST = "against", _("Against")
    ABSTAIN = "abstain", _("Abstain")


class Poll(models.Model):
    community = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        related_name="polls",
        limit_choices_to={"kind": AreaKind.COMMUNITY},
        verbose_name=_("community"),
    )
    hall = models.ForeignKey(
        "consultation.HallPage",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="polls",
        verbose_name=_("deliberation hall"),
    )
    question = models.CharField(_("question"), max_length=300)
    description = models.TextField(_("description"), blank=True)
    kind = models.CharField(_("kind"), max_length=12, choices=PollKind.choices)
    min_picks = models.PositiveSmallIntegerField(_("fewest choices"), default=1)
    max_picks = models.PositiveSmallIntegerField(_("most choices"), default=1)
    scope = models.ManyToManyField(
        Area,
        blank=True,
        related_name="+",
        verbose_name=_("who votes"),
        help_text=_("Areas whose residents vote. Empty: the whole community."),
    )
    unit = models.CharField(_("counting unit"), max_length=10, choices=CountingUnit.choices)
    mode = models.CharField(_("ballot mode"), max_length=8, choices=BallotMode.choices)
    opens_at = models.DateTimeField(_("voting opens"))
    closes_at = models.DateTimeField(_("voting closes"))
    results_visibility = models.CharField(
        _("results"), max_length=12, choices=ResultsVisibility.choices
    )
    quorum_percent = models.PositiveSmallIntegerField(_("quorum (%)"), default=0)
    threshold = models.CharField(
        _("needed to pass"), max_length=16, choices=Threshold.choices, default=Threshold.HALF
    )
    double_majority = models.BooleanField(
        _("owners' double majority"),
        default=False,
        help_text=_("Count floor area and owners as the Civil Code requires for owners' matters."),
    )
    special_matter = models.BooleanField(
        _("special matter"),
        default=False,
        help_text=_("Needs three quarters instead of more than half (e.g. rebuilding)."),
    )
    # Counters kept in step with the ballots inside the casting transaction.
    ballots_count = models.PositiveIntegerField(_("ballots"), default=0)
    area_sum = models.DecimalField(
        _("participating floor area (m²)"), max_digits=12, decimal_places=2, default=0
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices, blank=True)
    figures = models.JSONField(_("figures"), default=dict, blank=True)
    # The 结果 notice the result was published in (see poll_results.publish_result).
    result_notice = models.ForeignKey(
        "cms.NoticePage",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("result notice"),
    )

    class Meta:
        verbose_name = _("poll")
        verbose_name_plural = _("polls")
        ordering = ["-opens_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(opens_at__lt=models.F("closes_at")), name="poll_opens_before_close"
            ),
            models.CheckConstraint(
                condition=Q(min_picks__gte=1, min_picks__lte=models.F("max_picks")),
                name="poll_picks_range",
            ),
            models.CheckConstraint(condition=Q(quorum_percent__lte=100), name="poll_quorum_pct"),
            # Art. 278 counts owners (households) and their area, which needs open ballots:
            # a secret ballot carrying a floor area would point back at its household.
            models.CheckConstraint(
                condition=Q(double_majority=False) | Q(unit="household", mode="open"),
                name="poll_double_majority_open_household",
            ),
        ]

    def __str__(self) -> str:
        return self.question

    @property
    def is_secret(self) -> bool:
        return self.mode == BallotMode.SECRET

    def scope_areas(self) -> list[Area]:
        """The areas whose residents vote: the scope, or the whole community."""
        areas = list(self.scope.all())
        return areas or [self.community]


class Option(models.Model):
    poll = models.ForeignKey(
        Poll, on_delete=models.CASCADE, related_name="options", verbose_name=_("poll")
    )
    label = models.CharField(pgettext_lazy("poll option", "label"), max_length=200)
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    # Which option means "for" in a for/against/abstain poll; blank for other kinds.
    stance = models.CharField(
        _("stance"), max_length=8, choices=OptionStance.choices, blank=True, default=""
    )
    votes = models.PositiveIntegerField(_("votes"), default=0)
    # Floor area of the households that picked this option (owners' double majority).
    area_sum = models.DecimalField(_("floor area (m²)"), max_digits=12, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("option")
        verbose_name_plural = _("options")
        ordering = ["poll", "position", "id"]
        constraints = [
            models.UniqueConstraint(fields=["poll", "position"], name="option_unique_position"),
        ]

    def __str__(self) -> str:
        return self.label


class CountedVote(models.Model):
    """What open ballots and secret-poll participations share: the unit that voted, the
    floor area it counted with, and who entered it when it came on paper."""

    household = models.ForeignKey(
        Household, on_delete=models.PROTECT, related_name="+", verbose_name=_("household")
    )
    # "u:<user id>" or "h:<household id>", following the poll's counting unit; unique per poll.
    unit_key = models.CharField(max_length=30, editable=False)
    # The household's floor area when the vote was cast: counters and recounts use this,
    # so a later correction of the household record does not shift a running poll.
    floor_area = models.DecimalField(
        _("floor area counted (m²)"), max_digits=7, decimal_places=2, default=0
    )
    paper = models.BooleanField(_("paper ballot"), default=False)
    # The name written on a paper ballot; a household without a portal account votes on
    # paper under the name of the member who signed it.
    voter_name = models.CharField(_("name on the paper ballot"), max_length=100, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )

    class Meta:
        abstract = True

    @staticmethod
    def paper_needs_recorder(name: str) -> models.CheckConstraint:
        """Paper votes name the staff member who entered them; online votes name nobody."""
        return models.CheckConstraint(
            condition=Q(paper=False, recorded_by__isnull=True)
            | Q(paper=True, recorded_by__isnull=False),
            name=name,
        )

    @staticmethod
    def online_needs_voter(name: str) -> models.CheckConstraint:
        """Only a paper vote may come from a household with no portal account."""
        return models.CheckConstraint(condition=Q(voter__isnull=False) | Q(paper=True), name=name)

    @property
    def display_name(self) -> str:
        if self.voter_id is not None:
            return self.voter.name or self.voter.email
        return self.voter_name


class Ballot(CountedVote):
    """An open ballot: who voted what. Changeable until the poll closes."""

    poll = models.ForeignKey(
        Poll, on_delete=models.CASCADE, related_name="ballots", verbose_name=_("poll")
    )
    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="poll_ballots",
        verbose_name=_("voter"),
    )
    options = models.ManyToManyField(Option, related_name="+", verbose_name=_("choices"))
    cast_at = models.DateTimeField(_("cast at"))
    changed_at = models.DateTimeField(_("changed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")
        constraints = [
            models.UniqueConstraint(fields=["poll", "unit_key"], name="ballot_one_per_unit"),
            CountedVote.paper_needs_recorder("ballot_paper_recorded_by"),
            CountedVote.online_needs_voter("ballot_online_has_voter"),
        ]

    def __str__(self) -> str:
        return f"{self.poll_id} · {self.voter}"


class Participation(CountedVote):
    """Who took part in a secret poll, and nothing about what they chose."""

    poll = models.ForeignKey(
        Poll, on_delete=models.CASCADE, related_name="participations", verbose_name=_("poll")
    )
    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="poll_participations",
        verbose_name=_("voter"),
    )
    at = models.DateTimeField(_("at"))

    class Meta:
        verbose_name = _("participation")
        verbose_name_plural = _("participations")
        constraints = [
            models.UniqueConstraint(fields=["poll", "unit_key"], name="participation_one_per_unit"),
            CountedVote.paper_needs_recorder("participation_paper_recorded_by"),
            CountedVote.online_needs_voter("participation_online_has_voter"),
        ]

    def __str__(self) -> str:
        return f"{self.poll_id} · {self.voter}"


class BallotBox(models.Model):
    """The ballot box of a secret poll: every secret ballot's choices, in one row.

    A row per ballot would link back to its voter on PostgreSQL, whatever its key: the
    transaction that writes a participation also writes the ballot, and both rows carry
    that transaction's id (`xmin`) and sit in the table in casting order. Here each cast
    rewrites the one box row, whose entries are kept sorted, so a stored box shows how
    many ballots chose what and never which came when. Casting also rewrites every
    option counter of the poll, so no counter row keeps the id of the last transaction
    that chose it.
    """

    poll = models.OneToOneField(
        Poll, on_delete=models.CASCADE, related_name="ballot_box", verbose_name=_("poll")
    )
    # One entry per ballot: its sorted option ids. The list itself stays sorted.
    ballots = models.JSONField(_("ballots"), default=list)

    class Meta:
        verbose_name = _("ballot box")
        verbose_name_plural = _("ballot boxes")

    def __str__(self) -> str:
        return str(self.poll)


def _authorize(user, key: str) -> bool:
    from .poll_services import may_read_poll

    poll = Poll.objects.filter(pk=int(key)).select_related("community", "hall").first()
    return poll is not None and may_read_poll(user, poll)


def _snapshot(user, key: str) -> dict:
    from .poll_services import live_snapshot

    return live_snapshot(Poll.objects.select_related("community").get(pk=int(key)), user)


live.register("poll", authorize=lambda u, k: k.isdigit() and _authorize(u, k), snapshot=_snapshot)
