"""The outgoing-mail ledger: what was sent to whom, and which addresses refuse mail.

These models lived in the meetings app until the platform moved into the project package;
they keep their tables (db_table) and their content types were relabelled, not recreated.
The neighbourhood is named by a string foreign key: the platform imports no app.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from buurtoverleg.mail import kinds


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

    kind = models.CharField(_("kind"), max_length=40, choices=kinds.kind_choices)
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
        db_table = "meetings_mailing"  # the table it had in meetings: moved, not copied
        verbose_name = _("mailing")
        verbose_name_plural = _("mailings")
        ordering: ClassVar[list[str]] = ["-created_at", "-pk"]
        indexes = (models.Index(fields=["neighbourhood", "-created_at"]),)

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"

    @property
    def topic(self) -> str | None:
        """The kind of mail a person can turn off that this is, or None for duty mail."""
        return kinds.topic_of(self.kind)

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
        db_table = "meetings_delivery"  # the table it had in meetings: moved, not copied
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        ordering: ClassVar[list[str]] = ["pk"]
        constraints = (
            models.UniqueConstraint(fields=["mailing", "email"], name="delivery_once_per_address"),
        )
        indexes = (
            models.Index(fields=["status", "claimed_at"], name="delivery_status_claimed"),
            models.Index(fields=["mailing", "status"], name="delivery_mailing_status"),
            models.Index(fields=["status", "next_attempt_at"], name="delivery_status_next_attempt"),
        )

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
        db_table = "meetings_mailsuppression"  # the table it had in meetings: moved, not copied
        verbose_name = _("blocked e-mail address")
        verbose_name_plural = _("blocked e-mail addresses")
        ordering: ClassVar[list[str]] = ["-updated_at"]

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
        db_table = "meetings_mailsuppressionlift"  # the table it had in meetings: moved, not copied
        verbose_name = _("lifted block on an e-mail address")
        verbose_name_plural = _("lifted blocks on e-mail addresses")
        ordering: ClassVar[list[str]] = ["-lifted_at", "-pk"]
        indexes = (models.Index(fields=["neighbourhood", "-lifted_at"]),)

    def __str__(self) -> str:
        return f"{self.email} ({self.lifted_at:%Y-%m-%d})"


def counts_of(mailing: Any) -> dict[str, int]:
    """The per-status counts of a mailing annotated by MailingQuerySet.with_counts()."""
    return {
        s: getattr(mailing, s)
        for s in ("total", "queued", "sending", "sent", "failed", "suppressed")
    }
