"""The admin pages of analyses, actions and survey answers (registered by meetings/admin.py)."""

from __future__ import annotations

from typing import Any, override

from django.contrib import admin
from django.http import HttpRequest

from meetings.actions.models import (
    Action,
    ActionUpdate,
    Analysis,
    Judgement,
    SurveyAnswer,
    Volunteer,
)
from problems.admin import ReadOnlyAdmin


# Actions change only through their services (history, versions, "on time" against the first
# date): the admin shows them and changes nothing.
class ActionUpdateInline(admin.TabularInline):
    model = ActionUpdate
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "at",
        "kind",
        "organisation",
        "text",
        "old_due_date",
        "new_due_date",
    )

    @override
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Action)
class ActionAdmin(ReadOnlyAdmin):
    list_display = ("outcome", "neighbourhood", "owner_organisation", "status", "due_date")
    list_filter = ("status", "owner_organisation")
    list_select_related = ("neighbourhood", "owner_organisation")
    search_fields = ("outcome",)
    inlines = (ActionUpdateInline,)


@admin.register(ActionUpdate)
class ActionUpdateAdmin(ReadOnlyAdmin):
    list_display = ("action", "kind", "organisation", "at")
    list_filter = ("kind",)
    list_select_related = ("action", "organisation")


@admin.register(Analysis)
class AnalysisAdmin(ReadOnlyAdmin):
    list_display = ("problem", "updated_at")
    # The analysis of a sensitive problem stays with the team, like its details.
    exclude = ("location", "victims", "offenders")
    list_select_related = ("problem__category",)


@admin.register(Volunteer)
class VolunteerAdmin(ReadOnlyAdmin):
    list_display = ("action", "user", "created_at")
    list_select_related = ("action", "user")


@admin.register(Judgement)
class JudgementAdmin(ReadOnlyAdmin):
    list_display = ("action", "meeting", "effect", "verdict", "at")
    list_filter = ("effect", "verdict")
    list_select_related = ("action", "meeting")


@admin.register(SurveyAnswer)
class SurveyAnswerAdmin(ReadOnlyAdmin):
    list_display = ("problem", "answer", "at")
    list_filter = ("answer",)
    list_select_related = ("problem__category",)
