"""The minutes of a meeting and their versions. Writes: meetings.minutes.services. The PDF:
meetings.minutes.pdf (rendered by a Celery task, meetings.minutes.tasks)."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from meetings.planning.models import Meeting

# Writes: meetings.minutes.services. The PDF: meetings.minutes.pdf (rendered by a Celery task,
# meetings.minutes.tasks).


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
    # Only the tags meetings.minutes.services.ALLOWED_TAGS lets through (nh3).
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
