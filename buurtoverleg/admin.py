from __future__ import annotations

from django.contrib import admin

from buurtoverleg.models import DueWorkRun


@admin.register(DueWorkRun)
class DueWorkRunAdmin(admin.ModelAdmin):
    list_display = ("name", "next_run_at", "last_started_at", "last_finished_at", "last_error")
