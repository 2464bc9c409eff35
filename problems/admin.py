"""The admin: categories are edited here; problems are changed through the app (timeline)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, override

from django.contrib import admin
from django.http import HttpRequest

from problems.models import (
    Action,
    ActionUpdate,
    Analysis,
    Ballot,
    BallotPoint,
    Category,
    ConfidentialView,
    Follow,
    HandCount,
    Judgement,
    Photo,
    PriorityRound,
    Problem,
    ReopenRequest,
    RoundCandidate,
    Support,
    SurveyAnswer,
    TimelineEntry,
    Volunteer,
)


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ("name", "name_en", "sensitive", "position")
    list_editable = ("sensitive", "position")
    prepopulated_fields: ClassVar[dict[str, Sequence[str]]] = {"slug": ("name",)}

    def save_model(self, request: HttpRequest, obj: Category, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        if obj.sensitive:
            # Its existing problems become sensitive too; never the other way round, which
            # would publish details that were given in confidence.
            obj.problems.filter(sensitive=False).update(sensitive=True)


class TimelineInline(admin.TabularInline):
    model = TimelineEntry
    fk_name = "problem"
    extra = 0
    can_delete = False
    fields = readonly_fields = (
        "at",
        "move",
        "from_status",
        "to_status",
        "actor",
        "actor_role",
        "public_note",
    )

    @override
    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Problem)
class ProblemAdmin(admin.ModelAdmin):
    """Read-only: every change goes through the services, so it is on the timeline."""

    list_display = ("public_title", "neighbourhood", "category", "status", "support_count")
    # Confidential details and who reported are read in the app, where each view is logged.
    exclude = (
        "title",
        "description",
        "location_detail",
        "confidential_details",
        "since",
        "reporter",
        "reported_for",
        "entered_by",
        "latitude",
        "longitude",
    )
    actions = None
    list_filter = ("status", "category", "neighbourhood")
    search_fields = ("title", "street")
    list_select_related = ("neighbourhood", "category")
    inlines = (TimelineInline,)

    @override
    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @override
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @override
    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the history and the log of confidential views go with it


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by the app's services (and logs): to look at, never to change here."""

    @override
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @override
    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @override
    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(TimelineEntry)
class TimelineEntryAdmin(ReadOnlyAdmin):
    list_display = ("problem", "move", "actor_role", "at")
    exclude = ("confidential_note", "changes")
    list_filter = ("move",)
    list_select_related = ("problem__category",)


@admin.register(ConfidentialView)
class ConfidentialViewAdmin(ReadOnlyAdmin):
    list_display = ("problem", "user", "at")
    list_select_related = ("problem__category", "user")


@admin.register(Support, Follow)
class SupportAdmin(ReadOnlyAdmin):
    list_display = ("problem", "user", "created_at")
    list_select_related = ("problem__category", "user")


@admin.register(Photo)
class PhotoAdmin(ReadOnlyAdmin):
    list_display = ("image", "problem", "width", "height", "created_at")
    list_select_related = ("problem__category",)


@admin.register(ReopenRequest)
class ReopenRequestAdmin(ReadOnlyAdmin):
    list_display = ("problem", "user", "created_at", "handled_at")
    list_select_related = ("problem__category", "user")


# Votes are changed only through the ballot pages and the round's services (budget, open round,
# one ballot per resident): the admin shows them and changes nothing.
@admin.register(PriorityRound)
class PriorityRoundAdmin(ReadOnlyAdmin):
    list_display = ("meeting", "neighbourhood", "status", "points", "max_per_problem", "closed_at")
    list_filter = ("status",)
    list_select_related = ("meeting", "neighbourhood")


@admin.register(RoundCandidate)
class RoundCandidateAdmin(ReadOnlyAdmin):
    list_display = ("round", "problem", "position", "outcome", "chosen_in_room")
    list_select_related = ("problem__category",)


@admin.register(Ballot)
class BallotAdmin(ReadOnlyAdmin):
    list_display = ("round", "voter", "source", "updated_at")
    list_filter = ("source",)
    list_select_related = ("voter",)


@admin.register(BallotPoint)
class BallotPointAdmin(ReadOnlyAdmin):
    list_display = ("ballot", "candidate", "points")


@admin.register(HandCount)
class HandCountAdmin(ReadOnlyAdmin):
    list_display = ("candidate", "hands", "entered_by", "entered_at")


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
