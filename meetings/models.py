"""Meetings: agenda, attendance, answers to "are you coming?", and minutes."""

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


class Attendance(models.Model):
    """Someone who was at the meeting: a member (or paper resident) by account, or a visiting
    professional by name and organisation. Anonymous walk-ins are a count on the meeting."""

    class Kind(models.TextChoices):
        RESIDENT = "resident", _("Resident")
        PROFESSIONAL = "professional", _("Professional")

    class Source(models.TextChoices):
        RECORDED = "recorded", _("Recorded by the chair or minute-taker")
        CHECK_IN = "check_in", _("Checked in themselves")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendance")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="attendance",
    )
    # Only for someone without an account (a visiting professional).
    name = models.CharField(_("name"), max_length=120, blank=True)
    organisation = models.ForeignKey(
        "residents.Organisation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation"),
    )
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.RECORDED)
    # First meeting of this neighbourhood ever: welcomed at the opening.
    newcomer = models.BooleanField(_("first meeting"), default=False)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("attendance")
        verbose_name_plural = _("attendance")
        ordering: ClassVar[list[str]] = ["created_at", "pk"]
        constraints = (
            models.UniqueConstraint(
                fields=["meeting", "user"],
                condition=Q(user__isnull=False),
                name="one_attendance_per_person",
            ),
        )

    def __str__(self) -> str:
        return f"{self.meeting_id}:{self.user_id or self.name}"


# --- Minutes -----------------------------------------------------------------------------------
# Writes: meetings.minutes_services. The PDF: meetings.minutes_pdf (rendered by a Celery task,
# meetings.minutes_tasks).


class MinutesQuerySet(models.QuerySet["Minutes"]):
    def published(self) -> MinutesQuerySet:
        """Published minutes, the latest meeting first, with the meeting (one query)."""
        return (
            self.filter(status=Minutes.Status.PUBLISHED)
            .select_related("meeting")
            .order_by("-meeting__starts_at", "-pk")
        )


class Minutes(models.Model):
    """The minutes of one meeting: the editable draft (sanitised HTML) and, once finalised, its
    versions. The attendance block is not part of the body: it is rendered from the attendance
    records each time, with each person's consent as it is then."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")

    meeting = models.OneToOneField(
        Meeting, on_delete=models.CASCADE, related_name="minutes", verbose_name=_("meeting")
    )
    # The meeting's neighbourhood, kept here so that the neighbourhood page reads one table.
    neighbourhood = models.ForeignKey(
        "residents.Neighbourhood",
        on_delete=models.CASCADE,
        related_name="minutes",
        verbose_name=_("neighbourhood"),
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    # The language the draft was written in: the PDF's language (and its /Lang).
    language = models.CharField(_("language"), max_length=5, default="nl")
    # Only the tags meetings.minutes_services.ALLOWED_TAGS lets through (nh3).
    body = models.TextField(_("text"), blank=True)
    # Every save names the version it was based on: two editors never overwrite each other.
    body_version = models.PositiveIntegerField(default=1)
    drafted_at = models.DateTimeField(_("drafted at"), default=timezone.now)
    drafted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("drafted by"),
    )
    edited_at = models.DateTimeField(_("edited at"), null=True, blank=True)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("edited by"),
    )
    published_at = models.DateTimeField(_("first published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )
    # The version residents see (the latest published), by number: pages link to it without
    # reading the versions.
    published_number = models.PositiveSmallIntegerField(null=True, blank=True)

    objects = MinutesQuerySet.as_manager()

    class Meta:
        verbose_name = _("minutes")
        verbose_name_plural = _("minutes")
        ordering: ClassVar[list[str]] = ["-pk"]

    def __str__(self) -> str:
        return f"{self.meeting}"

    @property
    def is_published(self) -> bool:
        return self.status == Minutes.Status.PUBLISHED


class MinutesVersion(models.Model):
    """A finalised version of the minutes: the body frozen, rendered to PDF (normal and large
    print). A correction makes the next number and keeps the earlier ones. When someone
    withdraws their consent the version is rendered again under the same number, with a note."""

    class RenderStatus(models.TextChoices):
        QUEUED = "queued", _("Waiting to be made")
        RENDERING = "rendering", _("Being made")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    minutes = models.ForeignKey(
        Minutes, on_delete=models.CASCADE, related_name="versions", verbose_name=_("minutes")
    )
    number = models.PositiveSmallIntegerField(_("version"))
    body = models.TextField(_("text"))
    language = models.CharField(_("language"), max_length=5, default="nl")
    change_note = models.CharField(_("what changed"), max_length=500, blank=True)
    # Changes made later under the same number: [{"kind": "name_removed", "at": iso}], shown
    # at the end of the minutes in the reader's language.
    amendments = models.JSONField(_("later changes"), default=list, blank=True)
    pdf = models.FileField(_("PDF"), upload_to="minutes/", max_length=300, blank=True)
    pdf_large = models.FileField(
        _("PDF in large print"), upload_to="minutes/", max_length=300, blank=True
    )
    render_status = models.CharField(
        _("PDF status"), max_length=10, choices=RenderStatus.choices, default=RenderStatus.QUEUED
    )
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    render_error = models.TextField(_("reason it failed"), blank=True)
    # Raised by every request to render (finalising, a withdrawn consent, "try again"): a render
    # that started before is not stored over the newer one.
    render_generation = models.PositiveIntegerField(default=1)
    render_attempts = models.PositiveSmallIntegerField(default=0)
    queued_at = models.DateTimeField(default=timezone.now)
    claimed_at = models.DateTimeField(null=True, blank=True)
    rendered_at = models.DateTimeField(_("made at"), null=True, blank=True)
    # Whose names the stored PDFs print: whom a withdrawn consent concerns.
    named_people = models.ManyToManyField(
        settings.AUTH_USER_MODEL, related_name="+", blank=True, verbose_name=_("people named")
    )
    finalised_at = models.DateTimeField(_("finalised at"), default=timezone.now)
    finalised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("finalised by"),
    )
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("published by"),
    )

    class Meta:
        verbose_name = _("version of the minutes")
        verbose_name_plural = _("versions of the minutes")
        ordering: ClassVar[list[str]] = ["minutes", "number"]
        constraints = (
            models.UniqueConstraint(fields=["minutes", "number"], name="minutes_version_once"),
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="minutes_version_progress_range"
            ),
        )
        indexes = (models.Index(fields=["render_status", "claimed_at"]),)

    def __str__(self) -> str:
        return f"{self.minutes} v{self.number}"

    @property
    def is_published(self) -> bool:
        return self.published_at is not None

    @property
    def ready(self) -> bool:
        return self.render_status == MinutesVersion.RenderStatus.DONE and bool(self.pdf)

    @property
    def busy(self) -> bool:
        return self.render_status in (
            MinutesVersion.RenderStatus.QUEUED,
            MinutesVersion.RenderStatus.RENDERING,
        )


# The feature packages' models, imported here so that Django registers them with this app.
from meetings.actions.models import *  # noqa: E402, F403
from meetings.rounds.models import *  # noqa: E402, F403
