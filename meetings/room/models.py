"""Who was at a meeting. Writes: meetings.services (recorded by the chair or minute-taker, or
by self check-in)."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from meetings.planning.models import Meeting


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
