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
from django.utils.translation import get_language
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
