from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar, override

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from residents.models import (
    Coordinator,
    InviteCode,
    MailPreference,
    Membership,
    Municipality,
    Neighbourhood,
    Organisation,
    PostcodeArea,
    User,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    fk_name = "user"
    extra = 0
    autocomplete_fields = ("neighbourhood", "organisation")
    readonly_fields = ("decided_by",)


class MailPreferenceInline(admin.TabularInline):
    # Shown, not edited: the person changes these themselves (Mijn gegevens, the mail's link).
    model = MailPreference
    extra = 0
    fields = ("neighbourhood", "topic", "enabled", "changed_at")
    readonly_fields = ("neighbourhood", "topic", "enabled", "changed_at")
    can_delete = False

    @override
    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ("display_name",)
    list_display = ("display_name", "email", "language", "is_active", "is_staff", "date_joined")
    list_filter = ("is_active", "is_staff", "language")
    search_fields = ("display_name", "email")
    inlines = (MembershipInline, MailPreferenceInline)
    fieldsets = (
        (None, {"fields": ("email", "display_name", "language", "password")}),
        (_("Address"), {"fields": ("postcode", "house_number", "contact_note")}),
        (
            _("Preferences"),
            {
                "fields": (
                    "minutes_as_pdf",
                    "consent_named_in_minutes",
                )
            },
        ),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Dates"), {"fields": ("last_login", "date_joined", "anonymised_at")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "display_name")}),)


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = ("name", "slug")
    search_fields = ("name",)
    prepopulated_fields: ClassVar[dict[str, Sequence[str]]] = {"slug": ("name",)}


class PostcodeAreaInline(admin.TabularInline):
    model = PostcodeArea
    extra = 1


@admin.register(Neighbourhood)
class NeighbourhoodAdmin(admin.ModelAdmin):
    list_display = ("name", "municipality", "max_active_priorities")
    list_filter = ("municipality",)
    search_fields = ("name",)
    prepopulated_fields: ClassVar[dict[str, Sequence[str]]] = {"slug": ("name",)}
    inlines = (PostcodeAreaInline,)


@admin.register(PostcodeArea)
class PostcodeAreaAdmin(admin.ModelAdmin):
    list_display = ("postcode", "number_from", "number_to", "neighbourhood")
    list_filter = ("neighbourhood",)
    search_fields = ("postcode",)


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ("name", "kind")
    list_filter = ("kind",)
    search_fields = ("name",)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "neighbourhood", "role", "status", "organisation", "created_at")
    list_filter = ("role", "status", "neighbourhood")
    search_fields = ("user__display_name", "user__email")
    autocomplete_fields = ("user", "neighbourhood", "organisation")
    list_select_related = ("user", "neighbourhood", "organisation")
    readonly_fields = ("decided_by",)


@admin.register(Coordinator)
class CoordinatorAdmin(admin.ModelAdmin):
    list_display = ("user", "municipality")
    autocomplete_fields = ("user", "municipality")
    list_select_related = ("user", "municipality")


@admin.register(InviteCode)
class InviteCodeAdmin(admin.ModelAdmin):
    list_display = ("code", "neighbourhood", "email", "created_at", "expires_at", "used_at")
    list_filter = ("neighbourhood",)
    search_fields = ("code", "email")
    readonly_fields = ("used_by", "used_at", "created_by")
    list_select_related = ("neighbourhood",)


@admin.register(MailPreference)
class MailPreferenceAdmin(admin.ModelAdmin):
    """Read-only: only the person changes these (Mijn gegevens, the link in each mail)."""

    list_display = ("user", "neighbourhood", "topic", "enabled", "changed_at")
    list_filter = ("topic", "enabled")
    search_fields = ("user__display_name", "user__email")
    readonly_fields = ("user", "neighbourhood", "topic", "enabled", "changed_at")

    @override
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    @override
    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
