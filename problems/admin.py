"""The admin: categories are edited here; problems are changed through the app (timeline)."""

from __future__ import annotations

from typing import Any

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
    list_display = ["name", "name_en", "sensitive", "position"]
    list_editable = ["sensitive", "position"]
    prepopulated_fields = {"slug": ["name"]}


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

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Problem)
class ProblemAdmin(admin.ModelAdmin):
    """Read-only: every change goes through the services, so it is on the timeline."""

    list_display = ["public_title", "neighbourhood", "category", "status", "support_count"]
    list_filter = ["status", "category", "neighbourhood"]
    search_fields = ["title", "street"]
    list_select_related = ["neighbourhood", "category"]
    inlines = [TimelineInline]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written by the app's services (and logs): to look at, never to change here."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(TimelineEntry)
class TimelineEntryAdmin(ReadOnlyAdmin):
    list_display = ["problem", "move", "actor_role", "at"]
    list_filter = ["move"]
    list_select_related = ["problem__category"]


@admin.register(ConfidentialView)
class ConfidentialViewAdmin(ReadOnlyAdmin):
    list_display = ["problem", "user", "at"]
    list_select_related = ["problem__category", "user"]


@admin.register(Support, Follow)
class SupportAdmin(ReadOnlyAdmin):
    list_display = ["problem", "user", "created_at"]
    list_select_related = ["problem__category", "user"]


@admin.register(Photo)
class PhotoAdmin(ReadOnlyAdmin):
    list_display = ["image", "problem", "width", "height", "created_at"]
    list_select_related = ["problem__category"]


@admin.register(ReopenRequest)
class ReopenRequestAdmin(ReadOnlyAdmin):
    list_display = ["problem", "user", "created_at", "handled_at"]
    list_select_related = ["problem__category", "user"]
