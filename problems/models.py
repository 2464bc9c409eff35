"""The problem register: chronic problems that residents report, support and follow.

Statuses and who may change them: problems.workflow. Writes: problems.services.
"""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.signals import post_delete, post_save
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from problems.workflow import ACTIONABLE, OPEN, PUBLIC, Move, Status

# The category list is read on every register page and changes a few times a year: each
# process keeps it for a minute. Saving or deleting a category forgets it in this process at
# once; other processes follow within CATEGORY_CACHE_SECONDS, and a problem whose category is
# newer than the kept list makes the caller read it again (Category.objects.listed(fresh=True)).
CATEGORY_CACHE_SECONDS = 60
_listed: tuple[float, list[Category]] | None = None


class CategoryManager(models.Manager["Category"]):
    def listed(self, *, fresh: bool = False) -> list[Category]:
        global _listed
        now = time.monotonic()
        if fresh or _listed is None or _listed[0] < now:
            _listed = (now + CATEGORY_CACHE_SECONDS, list(self.all()))
        return _listed[1]


def categories_forget(**_kwargs: Any) -> None:
    global _listed
    _listed = None


class Category(models.Model):
    name = models.CharField(_("name (Dutch)"), max_length=80, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=80, blank=True)
    slug = models.SlugField(_("slug"), unique=True)
    sensitive = models.BooleanField(
        _("sensitive"),
        default=False,
        help_text=_(
            "Reports in this category show only a public summary; their details stay with the team."
        ),
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    objects = CategoryManager()

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering: ClassVar[list[str]] = ["position", "name"]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        if self.name_en and (get_language() or "nl").startswith("en"):
            return self.name_en
        return self.name


post_save.connect(categories_forget, sender=Category, dispatch_uid="categories_forget_save")
post_delete.connect(categories_forget, sender=Category, dispatch_uid="categories_forget_delete")


# Everyone sees a problem once the team accepted it (a report declined or merged as a duplicate
# before that stays with its reporter and the team).
PUBLIC_Q = Q(status__in=PUBLIC, accepted_at__isnull=False)


class ProblemQuerySet(models.QuerySet["Problem"]):
    def for_neighbourhood(self, neighbourhood: Any) -> ProblemQuerySet:
        return self.filter(neighbourhood=neighbourhood)

    def public(self) -> ProblemQuerySet:
        """Accepted by a person of the team at some time: what everyone may see."""
        return self.filter(PUBLIC_Q)

    def open(self) -> ProblemQuerySet:
        return self.filter(status__in=OPEN)

    def actionable(self) -> ProblemQuerySet:
        """Accepted and still open (workflow.ACTIONABLE): what can be supported, analysed and
        given actions. Not only the priorities: see priorities()."""
        return self.filter(status__in=sorted(ACTIONABLE))

    def priorities(self) -> ProblemQuerySet:
        """The current priorities: chosen in a priority round (Status.PRIORITY) and not yet
        resolved or parked. They come back at every meeting until then."""
        return self.filter(status=Status.PRIORITY)

    def visible_to(self, user: Any, *, team: bool) -> ProblemQuerySet:
        """Public problems; plus, for the team, new reports; plus one's own new reports."""
        if team:
            return self
        if user.is_authenticated:
            return self.filter(PUBLIC_Q | Q(reporter=user))
        return self.public()

    def for_list(self) -> ProblemQuerySet:
        return self.select_related("category")


class Problem(models.Model):
    neighbourhood = models.ForeignKey(
        "residents.Neighbourhood",
        on_delete=models.CASCADE,
        related_name="problems",
        verbose_name=_("neighbourhood"),
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="problems", verbose_name=_("category")
    )
    title = models.CharField(_("title"), max_length=120)
    description = models.TextField(_("description"), max_length=4000)
    street = models.CharField(_("street"), max_length=120)
    location_detail = models.CharField(_("landmark or house numbers"), max_length=160, blank=True)
    latitude = models.DecimalField(
        _("latitude"), max_digits=8, decimal_places=6, null=True, blank=True
    )
    longitude = models.DecimalField(
        _("longitude"), max_digits=9, decimal_places=6, null=True, blank=True
    )
    times_of_day = models.JSONField(_("times of day"), default=list, blank=True)
    days_of_week = models.JSONField(_("days of the week"), default=list, blank=True)
    since = models.CharField(_("since when"), max_length=80, blank=True)

    status = models.CharField(
        _("status"), max_length=20, choices=Status.choices, default=Status.NEW, db_index=True
    )
    sensitive = models.BooleanField(_("sensitive"), default=False)
    public_summary = models.CharField(
        _("public summary"),
        max_length=160,
        blank=True,
        help_text=_(
            "What everyone sees of a sensitive problem, e.g. 'Drug dealing near the park'."
        ),
    )
    confidential_details = models.TextField(
        _("confidential details"),
        max_length=4000,
        blank=True,
        help_text=_("Addresses, names and other details only the team may see."),
    )

    # Who: never shown to other residents unless the reporter agreed.
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="reported_problems",
        verbose_name=_("reporter"),
    )
    reported_for = models.CharField(
        _("reported on behalf of"),
        max_length=120,
        blank=True,
        help_text=_("The name of someone without an account, when the team enters a report."),
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("entered by"),
    )
    reporter_name_public = models.BooleanField(
        _("other residents may see the reporter's name"), default=False
    )

    merged_into = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="merged_from",
        verbose_name=_("merged into"),
    )
    support_count = models.PositiveIntegerField(_("support"), default=0)
    reopened_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    # Counted by the meetings' agenda (later issue): one of the "likely chronic" signals.
    discussed_count = models.PositiveSmallIntegerField(_("discussed at meetings"), default=0)
    chronic_confirmed_at = models.DateTimeField(_("confirmed as chronic"), null=True, blank=True)

    created_at = models.DateTimeField(_("reported at"), default=timezone.now, db_index=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    activity_at = models.DateTimeField(_("last activity"), default=timezone.now, db_index=True)

    objects = ProblemQuerySet.as_manager()

    class Meta:
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        ordering: ClassVar[list[str]] = ["-activity_at"]
        indexes = (
            # The register's default order: most supported first, then recent activity.
            models.Index(
                fields=["neighbourhood", "-support_count", "-activity_at", "-id"],
                name="problem_register_by_support",
            ),
            # Counting a neighbourhood's public problems (the register's total, the pages):
            # an index-only scan of the problems that were ever accepted (PUBLIC_Q).
            models.Index(
                fields=["neighbourhood", "status"],
                condition=Q(accepted_at__isnull=False),
                name="problem_public_by_status",
            ),
        )
        constraints = (
            models.CheckConstraint(
                condition=Q(status=Status.MERGED) | Q(merged_into__isnull=True),
                name="problem_only_merged_points_on",
            ),
        )

    def __str__(self) -> str:
        return self.public_title

    def get_absolute_url(self) -> str:
        return reverse("problem", kwargs={"slug": self.neighbourhood.slug, "pk": self.pk})

    # What everyone may see. A sensitive problem shows only its summary and street.

    @property
    def public_title(self) -> str:
        if not self.sensitive:
            return self.title
        if self.public_summary:
            return self.public_summary
        return _("%(category)s near %(street)s") % {
            "category": self.category.label,
            "street": self.street,
        }

    @property
    def public_description(self) -> str:
        return "" if self.sensitive else self.description

    @property
    def public_location(self) -> str:
        if self.sensitive or not self.location_detail:
            return self.street
        return f"{self.street}, {self.location_detail}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN

    @property
    def is_actionable(self) -> bool:
        """Accepted and still open (workflow.ACTIONABLE)."""
        return self.status in ACTIONABLE

    @property
    def is_public(self) -> bool:
        return self.status in PUBLIC and self.accepted_at is not None

    @property
    def public_since(self) -> str:
        """Free text typed by the reporter: for a sensitive problem it stays with the team."""
        return "" if self.sensitive else self.since

    def chronic_signals(self) -> list[str]:
        """Why the app thinks this problem is likely chronic (empty: it does not)."""
        if not self.is_actionable:
            return []
        hood = self.neighbourhood
        signals = []
        since = self.accepted_at or self.created_at
        if timezone.now() - since > timedelta(days=hood.chronic_after_days):
            signals.append(
                str(_("open for more than %(days)d days") % {"days": hood.chronic_after_days})
            )
        if self.support_count >= hood.chronic_supporters:
            signals.append(
                str(_("supported by %(n)d or more residents") % {"n": hood.chronic_supporters})
            )
        if self.discussed_count >= hood.chronic_meetings:
            signals.append(
                str(_("discussed at %(n)d or more meetings") % {"n": hood.chronic_meetings})
            )
        if self.reopened_count:
            signals.append(str(_("reopened")))
        return signals


class Photo(models.Model):
    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="photos")
    image = models.ImageField(_("photo"), upload_to="problem-photos/%Y/%m/")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering: ClassVar[list[str]] = ["pk"]

    def __str__(self) -> str:
        return self.image.name or ""


class Support(models.Model):
    """'Ik heb hier ook last van': one per resident per problem."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="supports")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="supports"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("support")
        verbose_name_plural = _("supports")
        constraints = (
            models.UniqueConstraint(fields=["problem", "user"], name="one_support_per_resident"),
        )

    def __str__(self) -> str:
        return f"{self.user_id} → {self.problem_id}"


class Follow(models.Model):
    """Mail me when this problem's status changes. Reporters and supporters follow."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="follows")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="follows"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("follower")
        verbose_name_plural = _("followers")
        constraints = (
            models.UniqueConstraint(fields=["problem", "user"], name="one_follow_per_person"),
        )

    def __str__(self) -> str:
        return f"{self.user_id} follows {self.problem_id}"


class TimelineEntry(models.Model):
    """One change to a problem. Appended, never edited."""

    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="timeline")
    move = models.CharField(_("what"), max_length=20, choices=Move.choices)
    from_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=Status.choices, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # The role the actor acted in (or "priority_round", "meeting_decision"): what the public
    # sees instead of a name, so a reporter's identity never shows on the timeline.
    actor_role = models.CharField(max_length=20, blank=True)
    public_note = models.TextField(_("public note"), max_length=2000, blank=True)
    confidential_note = models.TextField(_("confidential note"), max_length=2000, blank=True)
    # Team only: which fields an edit changed, with the old values.
    changes = models.JSONField(default=dict, blank=True)
    other = models.ForeignKey(
        Problem, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The meeting whose decision this was (a priority resolved by the meeting).
    meeting = models.ForeignKey(
        "meetings.Meeting",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="problem_decisions",
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        ordering: ClassVar[list[str]] = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.problem_id}: {self.move}"


class ReopenRequest(models.Model):
    problem = models.ForeignKey(Problem, on_delete=models.CASCADE, related_name="reopen_requests")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    note = models.TextField(_("why"), max_length=2000)
    created_at = models.DateTimeField(default=timezone.now)
    handled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("reopen request")
        verbose_name_plural = _("reopen requests")
        ordering: ClassVar[list[str]] = ["created_at"]

    def __str__(self) -> str:
        return f"{self.problem_id}: {self.note[:40]}"


class ConfidentialView(models.Model):
    """Who looked at a problem's confidential details, and when."""

    problem = models.ForeignKey(
        Problem, on_delete=models.CASCADE, related_name="confidential_views"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("view of confidential details")
        verbose_name_plural = _("views of confidential details")
        ordering: ClassVar[list[str]] = ["-at"]

    def __str__(self) -> str:
        return f"{self.user_id} viewed {self.problem_id}"


# --- Priority rounds ---------------------------------------------------------------------------


class PriorityRoundQuerySet(models.QuerySet["PriorityRound"]):
    def for_neighbourhood(self, neighbourhood: Any) -> PriorityRoundQuerySet:
        return self.filter(neighbourhood=neighbourhood)


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
        verbose_name = _("hand count")
        verbose_name_plural = _("hand counts")

    def __str__(self) -> str:
        return f"{self.candidate_id}: {self.hands}"


# --- Analysis and actions ----------------------------------------------------------------------
# Writes: problems.action_services. Who may do what: problems.action_access.


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
        return reverse("action", kwargs={"slug": self.neighbourhood.slug, "pk": self.pk})

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
