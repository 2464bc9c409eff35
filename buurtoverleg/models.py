"""The platform's own table: when each kind of due work may run next (buurtoverleg.due)."""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _


class DueWorkRun(models.Model):
    """When each kind of due work (buurtoverleg.due) may run next; claimed by conditional update."""

    name = models.CharField(max_length=100, unique=True)
    next_run_at = models.DateTimeField()
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        db_table = "meetings_dueworkrun"  # the table it had in meetings
        verbose_name = _("scheduled job")
        verbose_name_plural = _("scheduled jobs")
        ordering: ClassVar[list[str]] = ["name"]

    def __str__(self) -> str:
        return self.name
