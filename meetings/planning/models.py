"""A meeting and its agenda: the meeting, its items and the problems on them, residents' proposals
for the agenda, and their answers to "are you coming?". Writes: meetings.services."""

from __future__ import annotations

import secrets
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from meetings import workflow


def new_projector_key() -> str:
    return secrets.token_urlsafe(24)


class MeetingQuerySet(models.QuerySet["Meeting"]):
    def for_neighbourhood(self, neighbourhood: Any) -> MeetingQuerySet:
        return self.filter(neighbourhood=neighbourhood)

    def upcoming(self) -> MeetingQuerySet:
        """Not started, not cancelled and not past: what residents can still come to, soonest
        first."""
        return self.filter(status__in=workflow.BEFORE, ends_at__gte=timezone.now()).order_by(
            "starts_at"
        )

    def preceding(self, meeting: Meeting) -> MeetingQuerySet:
        """The neighbourhood's earlier meetings that were not cancelled, the latest first
        (meetings.selectors.meeting_before)."""
        return (
            self.for_neighbourhood(meeting.neighbourhood_id)
            .filter(starts_at__lt=meeting.starts_at)
            .exclude(status=workflow.Status.CANCELLED)
            .order_by("-starts_at")
        )

    def following(self, meeting: Meeting) -> MeetingQuerySet:
        """The neighbourhood's later meetings that are not cancelled, the soonest first."""
        return (
            self.for_neighbourhood(meeting.neighbourhood_id)
            .filter(starts_at__gt=meeting.starts_at)
            .exclude(status=workflow.Status.CANCELLED)
            .order_by("starts_at")
        )


class Meeting(models.Model):
    """One neighbourhood meeting. Planned from the neighbourhood's rhythm or by hand."""

    Status = workflow.Status  # the statuses and their transitions: meetings.workflow

    neighbourhood = models.ForeignKey(
        "residents.Neighbourhood",
        on_delete=models.CASCADE,
        related_name="meetings",
        verbose_name=_("neighbourhood"),
    )
    starts_at = models.DateTimeField(_("starts at"), db_index=True)
    ends_at = models.DateTimeField(_("ends at"))
    place = models.CharField(_("place"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.PLANNED
    )
    # The date the rhythm gave this meeting. It stays when the meeting is moved or cancelled,
    # so planning from the rhythm again never brings a moved or cancelled meeting back.
    rhythm_date = models.DateField(_("date in the rhythm"), null=True, blank=True)
    cancelled_reason = models.CharField(_("reason for cancelling"), max_length=300, blank=True)
    # Set when the meeting was moved: residents see "moved from ...".
    moved_from = models.DateTimeField(_("moved from"), null=True, blank=True)
    # Roles rotate: a resident may chair or take the minutes of one meeting.
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("chair"),
    )
    minute_taker = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("minute-taker"),
    )
    agenda_published_at = models.DateTimeField(_("agenda published at"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    current_item = models.ForeignKey(
        "AgendaItem",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("current item"),
    )
    walk_ins = models.PositiveSmallIntegerField(_("anonymous walk-ins"), default=0)
    # The venue PC opens the projector view with this key instead of logging in. The chair
    # revokes a key by making a new one.
    projector_key = models.CharField(max_length=40, unique=True, default=new_projector_key)
    # Raised by every change the projector shows: its poll is one indexed read of this number.
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(default=timezone.now)

    objects = MeetingQuerySet.as_manager()

    class Meta:
        verbose_name = _("meeting")
        verbose_name_plural = _("meetings")
        ordering: ClassVar[list[str]] = ["starts_at"]
        constraints = (
            models.UniqueConstraint(
                fields=["neighbourhood", "rhythm_date"],
                condition=Q(rhythm_date__isnull=False),
                name="one_meeting_per_rhythm_date",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="meeting_ends_after_start"
            ),
        )

    def __str__(self) -> str:
        return f"{self.neighbourhood_id} {self.starts_at:%Y-%m-%d %H:%M}"

    # What templates ask of the status (meetings.workflow holds the rules).
    @property
    def agenda_public(self) -> bool:
        """The agenda is published: everyone may read it (also after the meeting)."""
        return self.status in workflow.PUBLIC_AGENDA

    @property
    def cancelled(self) -> bool:
        return self.status == workflow.Status.CANCELLED

    @property
    def live(self) -> bool:
        """Under way: started on the agenda screen and not closed yet."""
        return self.status in workflow.LIVE

    @property
    def over(self) -> bool:
        """Closed on the agenda screen (its minutes may be published)."""
        return self.status in workflow.OVER


class AgendaItem(models.Model):
    """One item of a meeting's agenda, with its time-box, what was said and what was decided."""

    class Kind(models.TextChoices):
        OPENING = "opening", _("Opening and introductions")
        REPORT_BACK = "report_back", _("Report back")
        STATE = "state", _("State of the neighbourhood")
        NEW_PROBLEMS = "new_problems", _("New problems")
        PRIORITISE = "prioritise", _("Prioritise")
        APPROACH = "approach", _("Approach")
        ANY_OTHER = "any_other", _("Any other business")
        CLOSING = "closing", _("Closing")
        OTHER = "other", _("Other item")

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="items", verbose_name=_("meeting")
    )
    position = models.PositiveSmallIntegerField(_("position"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.OTHER)
    # Blank: the kind's name in the reader's language.
    title = models.CharField(_("title"), max_length=200, blank=True)
    description = models.TextField(_("explanation"), blank=True)
    minutes = models.PositiveSmallIntegerField(_("time-box in minutes"), default=10)
    # Actual time: the seconds of earlier turns plus the running turn since started_at.
    started_at = models.DateTimeField(_("current turn started at"), null=True, blank=True)
    spent_seconds = models.PositiveIntegerField(_("seconds spent"), default=0)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    # Saved as you type; every save names the version it was based on (no lost updates).
    notes = models.TextField(_("notes"), blank=True)
    notes_version = models.PositiveIntegerField(default=0)
    notes_saved_at = models.DateTimeField(null=True, blank=True)
    decision = models.TextField(_("decision"), blank=True)
    decision_version = models.PositiveIntegerField(default=0)
    decision_saved_at = models.DateTimeField(null=True, blank=True)
    problems = models.ManyToManyField(
        "problems.Problem",
        through="AgendaItemProblem",
        related_name="agenda_items",
        verbose_name=_("problems"),
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("agenda item")
        verbose_name_plural = _("agenda items")
        ordering: ClassVar[list[str]] = ["meeting", "position", "pk"]
        constraints = (
            models.CheckConstraint(
                condition=Q(minutes__gte=1, minutes__lte=240), name="agenda_item_timebox_range"
            ),
        )
        indexes = (models.Index(fields=["meeting", "position"]),)

    def __str__(self) -> str:
        return self.heading

    @property
    def heading(self) -> str:
        return self.title or str(self.get_kind_display())


class AgendaItemProblem(models.Model):
    """A problem discussed under an agenda item (e.g. the new problems of the month)."""

    item = models.ForeignKey(AgendaItem, on_delete=models.CASCADE, related_name="links")
    problem = models.ForeignKey(
        "problems.Problem", on_delete=models.CASCADE, related_name="agenda_links"
    )
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        verbose_name = _("problem on the agenda")
        verbose_name_plural = _("problems on the agenda")
        ordering: ClassVar[list[str]] = ["item", "position", "pk"]
        constraints = (
            models.UniqueConstraint(fields=["item", "problem"], name="one_link_per_item_problem"),
        )

    def __str__(self) -> str:
        return f"{self.item_id}:{self.problem_id}"


class AgendaProposal(models.Model):
    """A resident's proposal for the agenda. The chair accepts it (it becomes an item) or
    declines it with a reason. The proposer's name is for the team only."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for the chair")
        ACCEPTED = "accepted", _("On the agenda")
        DECLINED = "declined", _("Declined")

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="proposals", verbose_name=_("meeting")
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="agenda_proposals",
        verbose_name=_("proposed by"),
    )
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("explanation"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    item = models.OneToOneField(
        AgendaItem,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="proposal",
        verbose_name=_("agenda item"),
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("agenda proposal")
        verbose_name_plural = _("agenda proposals")
        ordering: ClassVar[list[str]] = ["created_at", "pk"]
        constraints = (
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(reason=""),
                name="declined_proposal_has_reason",
            ),
        )

    def __str__(self) -> str:
        return self.title


class Rsvp(models.Model):
    """Whether a member is coming. One answer per person per meeting, changeable."""

    class Answer(models.TextChoices):
        YES = "yes", _("I am coming")
        MAYBE = "maybe", _("Maybe")
        NO = "no", _("I cannot come")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="rsvps")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="rsvps"
    )
    answer = models.CharField(_("answer"), max_length=5, choices=Answer.choices)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("RSVP")
        verbose_name_plural = _("RSVPs")
        constraints = (
            models.UniqueConstraint(fields=["meeting", "user"], name="one_rsvp_per_person"),
        )

    def __str__(self) -> str:
        return f"{self.meeting_id}:{self.user_id}:{self.answer}"
