"""The admin: categories are edited here; problems are changed through the app (timeline)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, override

from django.contrib import admin
from django.http import HttpRequest

from problems.models import (
    Category,
    ConfidentialView,
    Follow,
    Photo,
    Problem,
    ReopenRequest,
    Support,
    TimelineEntry,
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
