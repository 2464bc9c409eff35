"""Priority rounds: residents spread points over candidate problems (dot voting); closing a
round makes the top problems priorities. Writes: meetings.rounds.services.

The tables keep their names from when these models lived in problems (Meta.db_table).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from problems.models import Problem


class PriorityRoundQuerySet(models.QuerySet["PriorityRound"]):
    def for_neighbourhood(self, neighbourhood: Any) -> PriorityRoundQuerySet:
        return self.filter(neighbourhood=neighbourhood)

    def for_page(self) -> PriorityRoundQuerySet:
        """With what a round's own pages show: its meeting, neighbourhood and municipality."""
        return self.select_related("meeting", "neighbourhood__municipality")


class PriorityRound(models.Model):
    """Residents spread points over the candidate problems (dot voting); closing the round
    makes the top problems priorities, within the neighbourhood's cap. One per meeting."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Being prepared")
        OPEN = "open", _("Open for votes")
        CLOSED = "closed", _("Closed")

    meeting = models.OneToOneField(
        "meetings.Meeting",
        on_delete=models.CASCADE,
        related_name="priority_round",
        verbose_name=_("meeting"),
    )
    # The meeting's neighbourhood, kept here so that every read filters on one column.
    neighbourhood = models.ForeignKey(
        "residents.Neighbourhood",
        on_delete=models.CASCADE,
        related_name="priority_rounds",
        verbose_name=_("neighbourhood"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    # The budget, copied from the neighbourhood when the round is made: a change of the
    # setting never changes a round that has ballots.
    points = models.PositiveSmallIntegerField(_("points per resident"))
    max_per_problem = models.PositiveSmallIntegerField(_("most points on one problem"))
    # Results are hidden before the meeting so that early votes do not steer later ones.
    results_shown = models.BooleanField(_("results shown"), default=False)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    closes_at = models.DateTimeField(_("closes at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # How the chair broke a tie in the room (public, in the round's history and the minutes).
    tie_note = models.TextField(_("tie decided in the room"), blank=True)
    # Raised by every ballot and hand count: the live results poll one number.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)

    objects = PriorityRoundQuerySet.as_manager()

    class Meta:
        db_table = "problems_priorityround"
        verbose_name = _("priority round")
        verbose_name_plural = _("priority rounds")
        ordering: ClassVar[list[str]] = ["-created_at"]
        constraints = (
            models.CheckConstraint(
                condition=Q(points__gte=1, points__lte=50)
                & Q(max_per_problem__gte=1)
                & Q(max_per_problem__lte=models.F("points")),
                name="round_budget_sane",
            ),
        )

    def __str__(self) -> str:
        return f"{self.neighbourhood_id}:{self.meeting_id}"

    @property
    def is_open(self) -> bool:
        return self.status == PriorityRound.Status.OPEN


class RoundCandidate(models.Model):
    """A problem on the round's ballot, and what the round made of it when it closed."""

    class Outcome(models.TextChoices):
        PENDING = "", _("Not decided yet")
        PRIORITY = "priority", _("Became a priority")
        NOT_CHOSEN = "not_chosen", _("Not chosen")

    round = models.ForeignKey(PriorityRound, on_delete=models.CASCADE, related_name="candidates")
    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="round_entries")
    position = models.PositiveSmallIntegerField(default=0)
    outcome = models.CharField(max_length=12, choices=Outcome.choices, blank=True, default="")
    # The chair chose it in the room to break a tie.
    chosen_in_room = models.BooleanField(default=False)
    added_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "problems_roundcandidate"
        verbose_name = _("candidate")
        verbose_name_plural = _("candidates")
        ordering: ClassVar[list[str]] = ["round", "position", "pk"]
        constraints = (
            models.UniqueConstraint(fields=["round", "problem"], name="one_candidacy_per_round"),
        )

    def __str__(self) -> str:
        return f"{self.round_id}:{self.problem_id}"


class Ballot(models.Model):
    """One resident's points in one round: online (logged in or by ballot link) or entered
    from paper by the chair or minute-taker. One per resident per round, changeable until the
    round closes."""

    class Source(models.TextChoices):
        ONLINE = "online", _("Online")
        PAPER = "paper", _("Paper")

    round = models.ForeignKey(PriorityRound, on_delete=models.CASCADE, related_name="ballots")
    voter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="ballots"
    )
    source = models.CharField(_("source"), max_length=8, choices=Source.choices)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "problems_ballot"
        verbose_name = _("ballot")
        verbose_name_plural = _("ballots")
        constraints = (
            models.UniqueConstraint(fields=["round", "voter"], name="one_ballot_per_resident"),
        )

    def __str__(self) -> str:
        return f"{self.round_id}:{self.voter_id}"


class BallotPoint(models.Model):
    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="points")
    candidate = models.ForeignKey(RoundCandidate, on_delete=models.CASCADE, related_name="points")
    points = models.PositiveSmallIntegerField()

    class Meta:
        db_table = "problems_ballotpoint"
        constraints = (
            models.UniqueConstraint(fields=["ballot", "candidate"], name="one_line_per_candidate"),
            models.CheckConstraint(condition=Q(points__gte=1), name="ballot_point_positive"),
        )

    def __str__(self) -> str:
        return f"{self.ballot_id}:{self.candidate_id}={self.points}"


class HandCount(models.Model):
    """A show of hands for one candidate, counted in the room. It cannot be checked per
    person, so results always show it apart from the ballots."""

    round = models.ForeignKey(PriorityRound, on_delete=models.CASCADE, related_name="hand_counts")
    candidate = models.OneToOneField(
        RoundCandidate, on_delete=models.CASCADE, related_name="hand_count"
    )
    hands = models.PositiveSmallIntegerField(_("hands"))
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    entered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "problems_handcount"
        verbose_name = _("hand count")
        verbose_name_plural = _("hand counts")

    def __str__(self) -> str:
        return f"{self.candidate_id}: {self.hands}"
