"""Analysis and actions: the meeting's analysis of a priority, the actions agreed with an
owner and a date, their history, volunteers, the room's judgements and the survey answers.
Writes: meetings.actions.services. Who may do what: meetings.actions.access.

The tables keep their names from when these models lived in problems (Meta.db_table).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from problems.models import Problem, TimelineEntry


class Analysis(models.Model):
    """The meeting's analysis of a priority: the crime triangle (location, victims, offenders).

    Public where the problem's description is public; for a sensitive problem it stays with
    the team, like its details.
    """

    problem = models.OneToOneField(
        Problem, on_delete=models.CASCADE, related_name="analysis", verbose_name=_("problem")
    )
    location = models.TextField(_("where and when it happens"), max_length=2000, blank=True)
    victims = models.TextField(_("who is affected"), max_length=2000, blank=True)
    offenders = models.TextField(_("who causes it"), max_length=2000, blank=True)
    meeting = models.ForeignKey(
        "meetings.Meeting",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("last discussed at"),
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        db_table = "problems_analysis"
        verbose_name = _("analysis")
        verbose_name_plural = _("analyses")

    def __str__(self) -> str:
        return f"{self.problem_id}"

    @property
    def is_empty(self) -> bool:
        return not (self.location or self.victims or self.offenders)


class ActionStatus(models.TextChoices):
    WAITING = "waiting", pgettext_lazy("action status", "Waiting for volunteers")
    OPEN = "open", pgettext_lazy("action status", "Open")
    IN_PROGRESS = "in_progress", pgettext_lazy("action status", "In progress")
    DONE = "done", pgettext_lazy("action status", "Done")
    NOT_FEASIBLE = "not_feasible", pgettext_lazy("action status", "Not feasible")
    CANCELLED = "cancelled", pgettext_lazy("action status", "Cancelled")


# Still to be done: these come back under "Terugkoppeling" and can become overdue.
ACTION_ACTIVE = frozenset({ActionStatus.WAITING, ActionStatus.OPEN, ActionStatus.IN_PROGRESS})
ACTION_FINAL = frozenset(ActionStatus) - ACTION_ACTIVE


class ActionQuerySet(models.QuerySet["Action"]):
    def for_neighbourhood(self, neighbourhood: Any) -> ActionQuerySet:
        return self.filter(neighbourhood=neighbourhood)

    def active(self) -> ActionQuerySet:
        return self.filter(status__in=ACTION_ACTIVE)

    def overdue(self, today: Any = None) -> ActionQuerySet:
        today = today or timezone.localdate()
        return self.active().filter(due_date__lt=today)

    def with_latest_progress(self) -> ActionQuerySet:
        """Each action's latest progress note, in the same query: `latest_progress_id`,
        `latest_text` and `latest_at` (None without one)."""
        latest = ActionUpdate.objects.filter(
            action=models.OuterRef("pk"), kind=ActionUpdate.Kind.PROGRESS
        ).order_by("-at", "-pk")
        return self.annotate(
            latest_progress_id=models.Subquery(latest.values("pk")[:1]),
            latest_text=models.Subquery(latest.values("text")[:1]),
            latest_at=models.Subquery(latest.values("at")[:1]),
        )

    def for_list(self) -> ActionQuerySet:
        """What a list of actions shows: the problem (public title), owner, contact."""
        return self.select_related(
            "problem__category", "owner_organisation", "owner_person", "contact_person"
        )


class Action(models.Model):
    """An agreement: a concrete outcome, an owner, a date; it comes back until it is done."""

    neighbourhood = models.ForeignKey(
        "residents.Neighbourhood",
        on_delete=models.CASCADE,
        related_name="actions",
        verbose_name=_("neighbourhood"),
    )
    problem = models.ForeignKey(
        Problem, on_delete=models.CASCADE, related_name="actions", verbose_name=_("priority")
    )
    outcome = models.CharField(
        _("what exactly is to be achieved"),
        max_length=300,
        help_text=_(
            "A concrete result that can be checked, e.g. 'The glass container is emptied "
            "twice a week', not 'attention for litter'."
        ),
    )
    details = models.TextField(_("how"), max_length=2000, blank=True)
    # Empty: the residents themselves own it (a resident action, possibly with volunteers).
    owner_organisation = models.ForeignKey(
        "residents.Organisation",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="actions",
        verbose_name=_("owner organisation"),
    )
    owner_person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="owned_actions",
        verbose_name=_("owner (person)"),
    )
    contact_person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="contact_actions",
        verbose_name=_("contact person among the residents"),
    )
    volunteers_needed = models.PositiveSmallIntegerField(_("volunteers needed"), default=0)
    volunteer_count = models.PositiveSmallIntegerField(_("volunteers"), default=0)
    # "On time" is always judged against the first agreed date, however often it moved.
    first_due_date = models.DateField(_("first agreed date"))
    due_date = models.DateField(_("due date"))
    meeting = models.ForeignKey(
        "meetings.Meeting",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="actions_agreed",
        verbose_name=_("agreed at"),
    )
    status = models.CharField(
        _("status"),
        max_length=20,
        choices=ActionStatus.choices,
        default=ActionStatus.OPEN,
        db_index=True,
    )
    status_reason = models.TextField(_("reason"), max_length=2000, blank=True)
    # The owner's latest public "why delayed" note (the history keeps every one).
    delay_note = models.TextField(_("why delayed"), max_length=2000, blank=True)
    delay_note_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("agreed on"), default=timezone.now)
    # Any change (progress, status, date): what "changed since the previous meeting" reads.
    updated_at = models.DateTimeField(_("last change"), default=timezone.now, db_index=True)
    done_at = models.DateTimeField(_("done on"), null=True, blank=True)
    version = models.PositiveIntegerField(default=1)

    objects = ActionQuerySet.as_manager()

    class Meta:
        db_table = "problems_action"
        verbose_name = _("action")
        verbose_name_plural = _("actions")
        ordering: ClassVar[list[str]] = ["due_date", "pk"]
        indexes = (
            models.Index(fields=["neighbourhood", "status", "due_date"], name="action_by_status"),
            models.Index(fields=["owner_organisation", "status"], name="action_by_owner"),
        )
        constraints = (
            models.CheckConstraint(
                condition=Q(done_at__isnull=True) | Q(status="done"), name="action_done_at_if_done"
            ),
        )

    def __str__(self) -> str:
        return self.outcome

    def get_absolute_url(self) -> str:
        return reverse("actions:action", kwargs={"slug": self.neighbourhood.slug, "pk": self.pk})

    @property
    def is_active(self) -> bool:
        return self.status in ACTION_ACTIVE

    @property
    def is_overdue(self) -> bool:
        return self.is_active and self.due_date < timezone.localdate()

    @property
    def was_moved(self) -> bool:
        return self.due_date != self.first_due_date

    @property
    def done_on_time(self) -> bool | None:
        if self.done_at is None:
            return None
        return timezone.localdate(self.done_at) <= self.first_due_date

    @property
    def owner_label(self) -> str:
        if self.owner_organisation is None:
            return str(_("Residents"))
        return self.owner_organisation.name


class JudgementEffect(models.TextChoices):
    BETTER = "better", pgettext_lazy("effect", "Better")
    SAME = "same", pgettext_lazy("effect", "The same")
    WORSE = "worse", pgettext_lazy("effect", "Worse")


class JudgementVerdict(models.TextChoices):
    CONTINUE = "continue", pgettext_lazy("verdict", "Continue")
    ADJUST = "adjust", pgettext_lazy("verdict", "Adjust")
    CLOSE = "close", pgettext_lazy("verdict", "Close")


JUDGEMENT_EFFECTS = JudgementEffect.choices
JUDGEMENT_VERDICTS = JudgementVerdict.choices


class ActionUpdate(models.Model):
    """One entry of an action's public history. Appended, never edited."""

    class Kind(models.TextChoices):
        AGREED = "agreed", _("Agreed")
        PROGRESS = "progress", _("Progress")
        STATUS = "status", _("Status changed")
        DUE_DATE = "due_date", _("Due date moved")
        DELAY = "delay", _("Why delayed")
        EDIT = "edit", _("Edited")
        VOLUNTEERS = "volunteers", _("Enough volunteers")
        JUDGED = "judged", _("Judged at the meeting")

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="updates")
    kind = models.CharField(_("what"), max_length=20, choices=Kind.choices)
    text = models.TextField(_("text"), max_length=2000, blank=True)
    # The organisation the author posted for (public); the author's name is not shown.
    organisation = models.ForeignKey(
        "residents.Organisation",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    author_role = models.CharField(max_length=20, blank=True)
    from_status = models.CharField(max_length=20, choices=ActionStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=ActionStatus.choices, blank=True)
    old_due_date = models.DateField(null=True, blank=True)
    new_due_date = models.DateField(null=True, blank=True)
    # A judgement's words, stored as values: the history shows them in each reader's language.
    effect = models.CharField(max_length=10, choices=JUDGEMENT_EFFECTS, blank=True)
    verdict = models.CharField(max_length=10, choices=JUDGEMENT_VERDICTS, blank=True)
    meeting = models.ForeignKey(
        "meetings.Meeting", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        db_table = "problems_actionupdate"
        verbose_name = _("action update")
        verbose_name_plural = _("action updates")
        ordering: ClassVar[list[str]] = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.action_id}: {self.kind}"


class Volunteer(models.Model):
    """A resident who signed up to help with a resident action. One per person per action."""

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="volunteers")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="volunteering"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "problems_volunteer"
        verbose_name = _("volunteer")
        verbose_name_plural = _("volunteers")
        constraints = (
            models.UniqueConstraint(fields=["action", "user"], name="volunteer_once_per_action"),
        )

    def __str__(self) -> str:
        return f"{self.user_id} → {self.action_id}"


class Judgement(models.Model):
    """The room's judgement of an action at a meeting's report back. One per action per
    meeting; recording it again replaces it (the history keeps each recording)."""

    Effect = JudgementEffect
    Verdict = JudgementVerdict

    action = models.ForeignKey(Action, on_delete=models.CASCADE, related_name="judgements")
    meeting = models.ForeignKey(
        "meetings.Meeting", on_delete=models.CASCADE, related_name="judgements"
    )
    effect = models.CharField(_("effect"), max_length=10, choices=Effect.choices)
    verdict = models.CharField(_("verdict"), max_length=10, choices=Verdict.choices)
    note = models.CharField(_("note"), max_length=500, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "problems_judgement"
        verbose_name = _("judgement")
        verbose_name_plural = _("judgements")
        ordering: ClassVar[list[str]] = ["at", "pk"]
        constraints = (
            models.UniqueConstraint(
                fields=["action", "meeting"], name="judgement_once_per_meeting"
            ),
        )

    def __str__(self) -> str:
        return f"{self.action_id}@{self.meeting_id}: {self.effect}/{self.verdict}"


class SurveyAnswer(models.Model):
    """'Is het beter geworden?': a supporter's or follower's answer, weeks after a problem was
    resolved. One per person per resolution (the RESOLVE timeline entry); answering again
    replaces it."""

    class Answer(models.TextChoices):
        BETTER = "better", pgettext_lazy("effect", "Better")
        SAME = "same", pgettext_lazy("effect", "The same")
        WORSE = "worse", pgettext_lazy("effect", "Worse")

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="survey_answers")
    resolution = models.ForeignKey(
        TimelineEntry, on_delete=models.CASCADE, related_name="survey_answers"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="survey_answers"
    )
    answer = models.CharField(_("answer"), max_length=10, choices=Answer.choices)
    remark = models.TextField(_("remark"), max_length=1000, blank=True)
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        db_table = "problems_surveyanswer"
        verbose_name = _("survey answer")
        verbose_name_plural = _("survey answers")
        ordering: ClassVar[list[str]] = ["at", "pk"]
        constraints = (
            models.UniqueConstraint(
                fields=["resolution", "user"], name="survey_answer_once_per_person"
            ),
        )

    def __str__(self) -> str:
        return f"{self.problem_id}: {self.answer}"
