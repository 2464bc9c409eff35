"""Meetings (later issues) and the outgoing-mail ledger every feature sends through."""

from __future__ import annotations

import secrets
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from residents.models import MailTopic


class MailingQuerySet(models.QuerySet["Mailing"]):
    def with_counts(self) -> MailingQuerySet:
        """Per-status delivery counts in the same query (for the chair's list)."""
        status = Delivery.Status
        return self.annotate(
            total=Count("deliveries"),
            queued=Count("deliveries", filter=Q(deliveries__status=status.QUEUED)),
            sending=Count("deliveries", filter=Q(deliveries__status=status.SENDING)),
            sent=Count("deliveries", filter=Q(deliveries__status=status.SENT)),
            failed=Count("deliveries", filter=Q(deliveries__status=status.FAILED)),
            suppressed=Count("deliveries", filter=Q(deliveries__status=status.SUPPRESSED)),
            # Of the queued ones: those whose server said "try later", each waiting its turn.
            retrying=Count(
                "deliveries",
                filter=Q(
                    deliveries__status=status.QUEUED, deliveries__next_attempt_at__isnull=False
                ),
            ),
        )


class Mailing(models.Model):
    """One message to many people: what was sent, about what, by whom, and when."""

    class Kind(models.TextChoices):
        MEMBERSHIP_APPROVED = "membership_approved", _("Application approved")
        INVITATION = "invitation", _("Invitation")
        PROBLEM_STATUS = "problem_status", _("Problem status changed")
        MEETING_MOVED = "meeting_moved", _("Meeting moved")
        MEETING_CANCELLED = "meeting_cancelled", _("Meeting cancelled")
        ACTION_REMINDER = "action_reminder", _("Action due soon")
        ACTION_OVERDUE = "action_overdue", _("Action overdue")
        PROBLEM_SURVEY = "problem_survey", _("Has it got better?")
        SURVEY_WORSE = "survey_worse", _("A resident says it got worse")
        AGENDA = "agenda", _("Agenda")
        MEETING_REMINDER = "meeting_reminder", _("Meeting tomorrow")
        MINUTES = "minutes", _("Minutes")
        DIGEST = "digest", _("Progress digest")

    # The kinds a person can turn off, and under which topic (residents.MailTopic). Every
    # other kind is duty mail: it carries no unsubscribe link and always goes. A moved or
    # cancelled meeting is agenda news: it also reaches whoever said they would come, unless
    # they turned the agenda off for that neighbourhood (a "no" is never overruled).
    TOPICS: ClassVar[dict[str, str]] = {
        Kind.AGENDA: MailTopic.AGENDA,
        Kind.MEETING_MOVED: MailTopic.AGENDA,
        Kind.MEETING_CANCELLED: MailTopic.AGENDA,
        Kind.MEETING_REMINDER: MailTopic.MEETING_REMINDER,
        Kind.MINUTES: MailTopic.MINUTES,
        Kind.DIGEST: MailTopic.DIGEST,
        Kind.PROBLEM_STATUS: MailTopic.PROBLEM_STATUS,
        Kind.PROBLEM_SURVEY: MailTopic.SURVEY,
    }

    kind = models.CharField(_("kind"), max_length=40, choices=Kind.choices)
    neighbourhood = models.ForeignKey(
        "residents.Neighbourhood",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="mailings",
        verbose_name=_("neighbourhood"),
    )
    subject_type = models.ForeignKey(
        ContentType, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    subject_id = models.PositiveBigIntegerField(null=True, blank=True)
    subject = GenericForeignKey("subject_type", "subject_id")
    template = models.CharField(_("template"), max_length=100)
    context = models.JSONField(_("context"), default=dict, blank=True)
    # Creating a mailing twice with the same key gives the first one back: nothing twice.
    key = models.CharField(_("key"), max_length=200, unique=True, null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = MailingQuerySet.as_manager()

    class Meta:
        verbose_name = _("mailing")
        verbose_name_plural = _("mailings")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["neighbourhood", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def topic(self) -> str | None:
        """The kind of mail a person can turn off that this is, or None for duty mail."""
        return self.TOPICS.get(self.kind)

    @property
    def transactional(self) -> bool:
        """Duty mail: no unsubscribe link, and it always goes (the kind decides)."""
        return self.topic is None


class Delivery(models.Model):
    """One message to one address. The row exists before anything is sent."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SUPPRESSED = "suppressed", _("Not sent (address blocked)")
        UNSUBSCRIBED = "unsubscribed", _("Not sent (turned off by the person)")

    mailing = models.ForeignKey(Mailing, on_delete=models.CASCADE, related_name="deliveries")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=_("person"),
    )
    email = models.EmailField(_("e-mail address"))
    language = models.CharField(_("language"), max_length=5, default="nl")
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.QUEUED
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    queued_at = models.DateTimeField(_("queued at"), default=timezone.now)
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    # Set when this one address answered "try later" (4xx): the row waits until then, with its
    # own backoff, while the rest of the mailing goes on. Null: due as soon as it is queued.
    next_attempt_at = models.DateTimeField(_("next attempt at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["mailing", "email"], name="delivery_once_per_address"),
        ]
        indexes = [
            models.Index(fields=["status", "claimed_at"], name="delivery_status_claimed"),
            models.Index(fields=["mailing", "status"], name="delivery_mailing_status"),
            models.Index(fields=["status", "next_attempt_at"], name="delivery_status_next_attempt"),
        ]

    def __str__(self) -> str:
        return f"{self.mailing} → {self.email} ({self.status})"

    @property
    def message_id(self) -> str:
        """Deterministic: a message sent again after a crash carries the same Message-ID."""
        return f"<delivery-{self.pk}.mailing-{self.mailing_id}@{settings.MAIL_MESSAGE_ID_DOMAIN}>"


class MailSuppression(models.Model):
    """Addresses that refused mail permanently. Suppressed after repeated permanent failures."""

    email = models.EmailField(_("e-mail address"), unique=True)
    permanent_failures = models.PositiveIntegerField(_("permanent failures"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    suppressed_at = models.DateTimeField(_("suppressed at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("blocked e-mail address")
        verbose_name_plural = _("blocked e-mail addresses")
        ordering = ["-updated_at"]

    def __str__(self) -> str:
        return self.email


class MailSuppressionLift(models.Model):
    """A block on an address lifted by the team, with why: the log of every lift.

    The address is copied, not linked, so the log stays whatever happens to the block.
    """

    email = models.EmailField(_("e-mail address"))
    neighbourhood = models.ForeignKey(
        "residents.Neighbourhood",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("neighbourhood"),
    )
    lifted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("lifted by"),
    )
    reason = models.TextField(_("reason"))
    lifted_at = models.DateTimeField(_("lifted at"), default=timezone.now)
    # What the block was: since when, and the mail server's last answer.
    blocked_at = models.DateTimeField(_("blocked at"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        verbose_name = _("lifted block on an e-mail address")
        verbose_name_plural = _("lifted blocks on e-mail addresses")
        ordering = ["-lifted_at", "-pk"]
        indexes = [models.Index(fields=["neighbourhood", "-lifted_at"])]

    def __str__(self) -> str:
        return f"{self.email} ({self.lifted_at:%Y-%m-%d})"


class DueWorkRun(models.Model):
    """When each kind of due work (meetings.due) may run next; claimed by conditional update."""

    name = models.CharField(max_length=100, unique=True)
    next_run_at = models.DateTimeField()
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        verbose_name = _("scheduled job")
        verbose_name_plural = _("scheduled jobs")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def counts_of(mailing: Any) -> dict[str, int]:
    """The per-status counts of a mailing annotated by MailingQuerySet.with_counts()."""
    return {
        s: getattr(mailing, s)
        for s in ("total", "queued", "sending", "sent", "failed", "suppressed")
    }


def new_projector_key() -> str:
    return secrets.token_urlsafe(24)


class MeetingQuerySet(models.QuerySet["Meeting"]):
    def for_neighbourhood(self, neighbourhood: Any) -> MeetingQuerySet:
        return self.filter(neighbourhood=neighbourhood)

    def upcoming(self) -> MeetingQuerySet:
        """Not cancelled and not over: what residents can still come to, soonest first."""
        return self.filter(
            status__in=[Meeting.Status.PLANNED, Meeting.Status.AGENDA_PUBLISHED],
            ends_at__gte=timezone.now(),
        ).order_by("starts_at")


class Meeting(models.Model):
    """One neighbourhood meeting. Planned from the neighbourhood's rhythm or by hand."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        AGENDA_PUBLISHED = "agenda_published", _("Agenda published")
        IN_PROGRESS = "in_progress", _("In progress")
        CLOSED = "closed", _("Closed")
        MINUTES_PUBLISHED = "minutes_published", _("Minutes published")
        CANCELLED = "cancelled", _("Cancelled")

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
        ordering = ["starts_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["neighbourhood", "rhythm_date"],
                condition=Q(rhythm_date__isnull=False),
                name="one_meeting_per_rhythm_date",
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="meeting_ends_after_start"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.neighbourhood_id} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def agenda_public(self) -> bool:
        """The agenda is published: everyone may read it (also after the meeting)."""
        return self.status in PUBLIC_AGENDA

    @property
    def cancelled(self) -> bool:
        return self.status == Meeting.Status.CANCELLED


PUBLIC_AGENDA = frozenset(
    {
        Meeting.Status.AGENDA_PUBLISHED,
        Meeting.Status.IN_PROGRESS,
        Meeting.Status.CLOSED,
        Meeting.Status.MINUTES_PUBLISHED,
    }
)
# The agenda can be edited until the meeting closes (also live, during the meeting).
AGENDA_EDITABLE = frozenset(
    {Meeting.Status.PLANNED, Meeting.Status.AGENDA_PUBLISHED, Meeting.Status.IN_PROGRESS}
)


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
        ordering = ["meeting", "position", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(minutes__gte=1, minutes__lte=240), name="agenda_item_timebox_range"
            ),
        ]
        indexes = [models.Index(fields=["meeting", "position"])]

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
        ordering = ["item", "position", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["item", "problem"], name="one_link_per_item_problem")
        ]

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
        ordering = ["created_at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="declined") | ~Q(reason=""),
                name="declined_proposal_has_reason",
            ),
        ]

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
        constraints = [
            models.UniqueConstraint(fields=["meeting", "user"], name="one_rsvp_per_person")
        ]

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
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["meeting", "user"],
                condition=Q(user__isnull=False),
                name="one_attendance_per_person",
            ),
        ]

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
        ordering = ["-pk"]

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
        ordering = ["minutes", "number"]
        constraints = [
            models.UniqueConstraint(fields=["minutes", "number"], name="minutes_version_once"),
            models.CheckConstraint(
                condition=Q(progress__lte=100), name="minutes_version_progress_range"
            ),
        ]
        indexes = [models.Index(fields=["render_status", "claimed_at"])]

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
