"""Neighbourhoods, organisations, people and the roles they hold."""

from __future__ import annotations

import re
import secrets
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

POSTCODE_RE = re.compile(r"^\s*([1-9][0-9]{3})\s*([A-Za-z]{2})?\s*$")


def normalise_postcode(value: str) -> str:
    """'1234 ab' -> '1234AB'; raises ValueError for anything that is not a Dutch postcode."""
    match = POSTCODE_RE.match(value or "")
    if not match:
        raise ValueError(value)
    return match.group(1) + (match.group(2) or "").upper()


def new_link_key() -> str:
    return secrets.token_urlsafe(16)


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(
        self, email: str | None = None, password: str | None = None, **extra: Any
    ) -> User:
        user = self.model(email=self.normalize_email(email).lower() if email else None, **extra)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: Any) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        extra.setdefault("display_name", email.split("@")[0])
        return self.create_user(email, password, **extra)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. Residents log in with an e-mailed code; paper residents have no e-mail."""

    class Language(models.TextChoices):
        DUTCH = "nl", _("Dutch")
        ENGLISH = "en", _("English")

    email = models.EmailField(_("e-mail address"), unique=True, null=True, blank=True)
    display_name = models.CharField(_("name"), max_length=120)
    language = models.CharField(
        _("language"), max_length=5, choices=Language.choices, default=Language.DUTCH
    )
    postcode = models.CharField(_("postcode"), max_length=6, blank=True)
    house_number = models.CharField(_("house number"), max_length=10, blank=True)
    contact_note = models.CharField(
        _("how to reach them"),
        max_length=200,
        blank=True,
        help_text=_("For residents without e-mail, e.g. a phone number or 'via the office'."),
    )
    # Which mail they want is per neighbourhood and kind: MailPreference.
    minutes_as_pdf = models.BooleanField(
        _("send me the minutes as a PDF attachment"), default=False
    )
    consent_named_in_minutes = models.BooleanField(
        _("my name may appear in the minutes"), default=False
    )
    is_staff = models.BooleanField(_("staff status"), default=False)
    is_active = models.BooleanField(_("active"), default=True)
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)
    anonymised_at = models.DateTimeField(_("anonymised at"), null=True, blank=True)
    # Part of every scoped action link's signature: rotating it revokes all of them.
    link_key = models.CharField(max_length=32, default=new_link_key, editable=False)

    objects: ClassVar[UserManager] = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        ordering: ClassVar[list[str]] = ["display_name"]

    def __str__(self) -> str:
        return self.display_name or self.email or f"#{self.pk}"

    def get_full_name(self) -> str:
        return self.display_name

    def get_short_name(self) -> str:
        return self.display_name

    @property
    def is_paper_resident(self) -> bool:
        return not self.email


class Municipality(models.Model):
    name = models.CharField(_("name"), max_length=120, unique=True)
    slug = models.SlugField(_("slug"), unique=True)
    reporting_service_url = models.URLField(
        _("reporting service for one-off defects"),
        blank=True,
        help_text=_("Where residents report a broken lamp or a full bin to the municipality."),
    )

    class Meta:
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")
        ordering: ClassVar[list[str]] = ["name"]

    def __str__(self) -> str:
        return self.name


class NeighbourhoodQuerySet(models.QuerySet["Neighbourhood"]):
    def visible_to(self, user: Any) -> NeighbourhoodQuerySet:
        """Neighbourhoods where the user holds an active role or coordinates the municipality."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(
            Q(memberships__user=user, memberships__status=Membership.Status.ACTIVE)
            | Q(municipality__coordinators__user=user)
        ).distinct()


WEEKDAYS = [
    (0, pgettext_lazy("day of the week", "Monday")),
    (1, pgettext_lazy("day of the week", "Tuesday")),
    (2, pgettext_lazy("day of the week", "Wednesday")),
    (3, pgettext_lazy("day of the week", "Thursday")),
    (4, pgettext_lazy("day of the week", "Friday")),
    (5, pgettext_lazy("day of the week", "Saturday")),
    (6, pgettext_lazy("day of the week", "Sunday")),
]
WEEKS_OF_MONTH = [
    (1, pgettext_lazy("week of the month", "first")),
    (2, pgettext_lazy("week of the month", "second")),
    (3, pgettext_lazy("week of the month", "third")),
    (4, pgettext_lazy("week of the month", "fourth")),
    (-1, pgettext_lazy("week of the month", "last")),
]


class Neighbourhood(models.Model):
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="neighbourhoods",
        verbose_name=_("municipality"),
    )
    name = models.CharField(_("name"), max_length=120)
    slug = models.SlugField(_("slug"), unique=True)
    description = models.TextField(_("description"), blank=True)
    max_active_priorities = models.PositiveSmallIntegerField(
        _("maximum number of active priorities"), default=3
    )
    # Dot voting: each resident spreads vote_points, at most vote_max_per_problem on one.
    vote_points = models.PositiveSmallIntegerField(_("points per resident in a round"), default=5)
    vote_max_per_problem = models.PositiveSmallIntegerField(
        _("most points on one problem"), default=3
    )
    meeting_place = models.CharField(_("usual meeting place"), max_length=200, blank=True)
    meeting_rhythm = models.CharField(
        _("usual meeting rhythm"),
        max_length=200,
        blank=True,
        help_text=_("For example: every second Tuesday of the month, 19:30."),
    )
    # The meeting rhythm, e.g. "every second Tuesday of the month, 19:30": upcoming meetings
    # are planned from it (meetings.planning.schedule). Empty weekday: no rhythm, meetings by hand.
    meeting_weekday = models.PositiveSmallIntegerField(
        _("meeting day"), choices=WEEKDAYS, null=True, blank=True
    )
    meeting_week = models.SmallIntegerField(
        _("week of the month"), choices=WEEKS_OF_MONTH, null=True, blank=True
    )
    meeting_time = models.TimeField(_("meeting time"), null=True, blank=True)
    meeting_minutes = models.PositiveSmallIntegerField(_("meeting length in minutes"), default=120)
    meetings_ahead = models.PositiveSmallIntegerField(_("meetings planned ahead"), default=3)
    # When the app flags a problem as "likely chronic" (the chair confirms it).
    chronic_after_days = models.PositiveSmallIntegerField(
        _("likely chronic after this many days open"), default=90
    )
    chronic_supporters = models.PositiveSmallIntegerField(
        _("likely chronic from this many supporters"), default=5
    )
    chronic_meetings = models.PositiveSmallIntegerField(
        _("likely chronic after this many meetings"), default=3
    )

    # The agenda mail goes out once the agenda is published and the meeting is at most this
    # many days away (meetings.agenda_mail.services).
    agenda_mail_days = models.PositiveSmallIntegerField(
        _("send the agenda this many days before the meeting"), default=7
    )
    # Actions: the owner is reminded this many days before the due date; residents are asked
    # "Is het beter geworden?" this many days after a problem was resolved.
    action_reminder_days = models.PositiveSmallIntegerField(
        _("remind action owners this many days before the due date"), default=7
    )
    survey_after_days = models.PositiveSmallIntegerField(
        _("ask residents whether it got better this many days after resolving"), default=21
    )

    objects = NeighbourhoodQuerySet.as_manager()

    class Meta:
        verbose_name = _("neighbourhood")
        verbose_name_plural = _("neighbourhoods")
        ordering: ClassVar[list[str]] = ["name"]
        constraints = (
            models.CheckConstraint(
                condition=Q(max_active_priorities__gte=1),
                name="neighbourhood_priorities_at_least_one",
            ),
            models.CheckConstraint(
                condition=Q(vote_points__gte=1, vote_points__lte=50)
                & Q(vote_max_per_problem__gte=1)
                & Q(vote_max_per_problem__lte=models.F("vote_points")),
                name="neighbourhood_vote_budget_sane",
            ),
            models.CheckConstraint(
                # A rhythm is complete or absent: day, week and time together.
                condition=Q(meeting_weekday__isnull=True)
                | Q(meeting_week__isnull=False, meeting_time__isnull=False),
                name="neighbourhood_rhythm_complete",
            ),
        )

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("neighbourhood", kwargs={"slug": self.slug})

    def covers(self, postcode: str, house_number: int | None) -> bool:
        """Whether an address lies in this neighbourhood (PC6 entries, or PC4 with ranges)."""
        return any(area.covers(postcode, house_number) for area in self.postcode_areas.all())


class PostcodeArea(models.Model):
    """A PC6 postcode ('1234AB'), or a PC4 ('1234') with an optional house-number range."""

    neighbourhood = models.ForeignKey(
        Neighbourhood, on_delete=models.CASCADE, related_name="postcode_areas"
    )
    postcode = models.CharField(
        _("postcode"),
        max_length=6,
        help_text=_("Four digits (PC4) or four digits and two letters."),
    )
    number_from = models.PositiveIntegerField(_("from house number"), null=True, blank=True)
    number_to = models.PositiveIntegerField(_("to house number"), null=True, blank=True)

    class Meta:
        verbose_name = _("postcode area")
        verbose_name_plural = _("postcode areas")
        ordering: ClassVar[list[str]] = ["postcode", "number_from"]

    def __str__(self) -> str:
        if self.number_from or self.number_to:
            return f"{self.postcode} {self.number_from or ''}–{self.number_to or ''}"
        return self.postcode

    def covers(self, postcode: str, house_number: int | None) -> bool:
        if not postcode.startswith(self.postcode):
            return False
        if house_number is None:
            return self.number_from is None and self.number_to is None
        if self.number_from is not None and house_number < self.number_from:
            return False
        return not (self.number_to is not None and house_number > self.number_to)


class Organisation(models.Model):
    class Kind(models.TextChoices):
        POLICE = "police", _("Police")
        MUNICIPALITY = "municipality", _("Municipality")
        HOUSING = "housing", _("Housing corporation")
        COMMUNITY_WORK = "community_work", _("Community work")
        YOUTH_WORK = "youth_work", _("Youth work")
        OTHER = "other", _("Other")

    name = models.CharField(_("name"), max_length=160, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)

    class Meta:
        verbose_name = _("organisation")
        verbose_name_plural = _("organisations")
        ordering: ClassVar[list[str]] = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    RESIDENT = "resident", _("Resident")
    CHAIR = "chair", _("Chair")
    MINUTE_TAKER = "minute_taker", _("Minute-taker")
    PROFESSIONAL = "professional", _("Professional")
    OFFICE = "office", _("Neighbourhood office")


class MembershipQuerySet(models.QuerySet["Membership"]):
    def active(self) -> MembershipQuerySet:
        return self.filter(status=Membership.Status.ACTIVE)

    def pending(self) -> MembershipQuerySet:
        return self.filter(status=Membership.Status.PENDING)

    def awaiting_decision(self) -> MembershipQuerySet:
        """Pending applications whose applicant confirmed their e-mail address.

        Someone who signed up but never typed the mailed code is not shown to the chair.
        """
        from allauth.account.models import EmailAddress

        confirmed = EmailAddress.objects.filter(user=OuterRef("user"), verified=True)
        return self.pending().filter(Exists(confirmed))

    def team(self) -> MembershipQuerySet:
        """The support team as the public sees it: professionals and the chair."""
        return (
            self.active()
            .filter(role__in=[Role.PROFESSIONAL, Role.CHAIR])
            .select_related("user", "organisation")
            # Public pages: names only, never e-mail or home addresses.
            .only(
                "role",
                "job_title",
                "status",
                "neighbourhood_id",
                "user__display_name",
                "organisation__name",
                "organisation__kind",
            )
            .order_by("organisation__name", "user__display_name")
        )


class Membership(models.Model):
    """A person's role in a neighbourhood. One person can hold several roles in one place."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for approval")
        ACTIVE = "active", _("Active")
        REJECTED = "rejected", _("Rejected")
        LEFT = "left", _("Left")

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("person")
    )
    neighbourhood = models.ForeignKey(
        Neighbourhood,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("neighbourhood"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.RESIDENT)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.PENDING
    )
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="memberships",
        verbose_name=_("organisation"),
    )
    job_title = models.CharField(_("job title"), max_length=120, blank=True)
    created_at = models.DateTimeField(_("applied at"), default=timezone.now)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    left_at = models.DateTimeField(_("left at"), null=True, blank=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        ordering: ClassVar[list[str]] = ["neighbourhood", "role", "user__display_name"]
        constraints = (
            models.UniqueConstraint(
                fields=["user", "neighbourhood", "role"], name="membership_one_per_role"
            ),
            models.CheckConstraint(
                condition=Q(role="professional", organisation__isnull=False)
                | ~Q(role="professional"),
                name="membership_professional_has_organisation",
            ),
        )
        indexes = (models.Index(fields=["neighbourhood", "status", "role"]),)

    def __str__(self) -> str:
        return f"{self.user} – {self.get_role_display()} – {self.neighbourhood}"


class Coordinator(models.Model):
    """Sees and manages every neighbourhood of one municipality."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="coordinates")
    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="coordinators"
    )

    class Meta:
        verbose_name = _("coordinator")
        verbose_name_plural = _("coordinators")
        constraints = (
            models.UniqueConstraint(fields=["user", "municipality"], name="coordinator_once"),
        )

    def __str__(self) -> str:
        return f"{self.user} – {self.municipality}"


INVITE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud and typed


def new_invite_code() -> str:
    raw = "".join(secrets.choice(INVITE_ALPHABET) for _ in range(9))
    return f"{raw[:3]}-{raw[3:6]}-{raw[6:]}"


class InviteCode(models.Model):
    """A single-use code from a printed sheet or an invitation mail: joining is active at once."""

    neighbourhood = models.ForeignKey(
        Neighbourhood, on_delete=models.CASCADE, related_name="invite_codes"
    )
    code = models.CharField(_("code"), max_length=11, unique=True, default=new_invite_code)
    email = models.EmailField(_("invited e-mail address"), blank=True)
    created_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(_("valid until"))
    used_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("invite code")
        verbose_name_plural = _("invite codes")
        ordering: ClassVar[list[str]] = ["-created_at"]

    def __str__(self) -> str:
        return self.code

    @property
    def is_usable(self) -> bool:
        return self.used_at is None and self.expires_at > timezone.now()


class MailTopic(models.TextChoices):
    """The kinds of mail a person can turn off, per neighbourhood (MailPreference).

    Duty mail (login codes, membership decisions, the join invitation, reminders and overdue
    notices to an action's owner, mail to the chair) has no topic: it cannot be turned off.
    """

    AGENDA = "agenda", _("The agenda before every meeting, and news when a meeting moves")
    MEETING_REMINDER = "meeting_reminder", _("A reminder the day before a meeting")
    MINUTES = "minutes", _("The minutes after every meeting")
    DIGEST = "digest", _("What has changed since the last meeting")
    PROBLEM_STATUS = "problem_status", _("News about problems you follow")
    SURVEY = "survey", _("The question “Has it got better?” after a problem was solved")


# A topic without a row is on, except the reminder: that goes, without a row, only to those
# who said they are coming (a row turns it on for every meeting, or off for good).
TOPICS_ON_BY_DEFAULT = frozenset(MailTopic) - {MailTopic.MEETING_REMINDER}


class MailPreference(models.Model):
    """One person's choice about one kind of mail from one neighbourhood.

    Written by Mijn gegevens and by the one-click unsubscribe link in each mail; read by the
    mail pipeline, which never sends a kind of mail to someone who turned it off.
    """

    user = models.ForeignKey(
        "residents.User",
        on_delete=models.CASCADE,
        related_name="mail_preferences",
        verbose_name=_("person"),
    )
    neighbourhood = models.ForeignKey(
        Neighbourhood,
        on_delete=models.CASCADE,
        related_name="+",
        verbose_name=_("neighbourhood"),
    )
    topic = models.CharField(_("kind of mail"), max_length=20, choices=MailTopic.choices)
    enabled = models.BooleanField(_("wanted"))
    changed_at = models.DateTimeField(_("changed at"), default=timezone.now)

    class Meta:
        verbose_name = _("mail preference")
        verbose_name_plural = _("mail preferences")
        constraints = (
            models.UniqueConstraint(
                fields=["user", "neighbourhood", "topic"], name="mail_preference_once"
            ),
        )

    def __str__(self) -> str:
        return f"{self.user_id} {self.neighbourhood_id} {self.topic}={self.enabled}"
