"""Meetings (later issues) and the outgoing-mail ledger every feature sends through."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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
        )


class Mailing(models.Model):
    """One message to many people: what was sent, about what, by whom, and when."""

    class Kind(models.TextChoices):
        MEMBERSHIP_APPROVED = "membership_approved", _("Application approved")
        INVITATION = "invitation", _("Invitation")
        PROBLEM_STATUS = "problem_status", _("Problem status changed")

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
    # Transactional mail (an answer to something the person did) has no unsubscribe link.
    transactional = models.BooleanField(_("transactional"), default=False)
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


class Delivery(models.Model):
    """One message to one address. The row exists before anything is sent."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SUPPRESSED = "suppressed", _("Not sent (address blocked)")

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
    created_at = models.DateTimeField(default=timezone.now)

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
