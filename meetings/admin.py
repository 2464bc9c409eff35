from __future__ import annotations

from django.contrib import admin

from buurtoverleg.mail.models import MailSuppressionLift
from meetings.actions import admin as actions_admin  # noqa: F401 - its admin pages
from meetings.minutes.models import Minutes, MinutesVersion
from meetings.planning.models import AgendaItem, AgendaItemProblem, AgendaProposal, Meeting, Rsvp
from meetings.room.models import Attendance
from meetings.rounds import admin as rounds_admin  # noqa: F401 - its admin pages
from problems.admin import ReadOnlyAdmin


@admin.register(Meeting)
class MeetingAdmin(admin.ModelAdmin):
    list_display = ("neighbourhood", "starts_at", "place", "status")
    list_filter = ("status", "neighbourhood")
    list_select_related = ("neighbourhood",)
    date_hierarchy = "starts_at"


class AgendaItemInline(admin.TabularInline):
    model = AgendaItem
    extra = 0
    fields = ("position", "kind", "title", "minutes", "done_at")
    readonly_fields = ("done_at",)
    show_change_link = True


MeetingAdmin.inlines = [AgendaItemInline]
MeetingAdmin.readonly_fields = ["projector_key", "version", "current_item"]


@admin.register(AgendaItem)
class AgendaItemAdmin(admin.ModelAdmin):
    list_display = ("__str__", "meeting", "position", "kind", "minutes", "done_at")
    list_filter = ("kind",)
    list_select_related = ("meeting",)
    # Notes and decisions are saved with a version by the agenda screen: edit them there.
    readonly_fields = ("notes_version", "decision_version", "notes_saved_at", "decision_saved_at")


@admin.register(AgendaItemProblem)
class AgendaItemProblemAdmin(admin.ModelAdmin):
    list_display = ("item", "problem", "position")
    raw_id_fields = ("item", "problem")


@admin.register(AgendaProposal)
class AgendaProposalAdmin(admin.ModelAdmin):
    list_display = ("title", "meeting", "status", "created_at")
    list_filter = ("status",)
    raw_id_fields = ("meeting", "proposed_by", "decided_by", "item")


@admin.register(Rsvp)
class RsvpAdmin(admin.ModelAdmin):
    list_display = ("meeting", "user", "answer", "updated_at")
    list_filter = ("answer",)
    raw_id_fields = ("meeting", "user")


@admin.register(Attendance)
class AttendanceAdmin(admin.ModelAdmin):
    list_display = ("meeting", "user", "name", "kind", "source", "newcomer")
    list_filter = ("kind", "source", "newcomer")
    raw_id_fields = ("meeting", "user", "organisation", "recorded_by")


# Minutes change only through the editor and its services (sanitised text, versions, renders):
# the admin shows them.


# The log of lifted blocks: written only by meetings.mailings.blocks.mail_suppression_lift.
@admin.register(MailSuppressionLift)
class MailSuppressionLiftAdmin(ReadOnlyAdmin):
    list_display = ("email", "neighbourhood", "lifted_by", "lifted_at")
    list_filter = ("neighbourhood",)
    search_fields = ("email",)
    list_select_related = ("neighbourhood", "lifted_by")
    date_hierarchy = "lifted_at"


@admin.register(Minutes)
class MinutesAdmin(ReadOnlyAdmin):
    list_display = ("meeting", "status", "published_at")
    list_filter = ("status",)
    list_select_related = ("meeting__neighbourhood",)
    exclude = ("body",)


@admin.register(MinutesVersion)
class MinutesVersionAdmin(ReadOnlyAdmin):
    list_display = ("minutes", "number", "render_status", "published_at")
    list_filter = ("render_status",)
    list_select_related = ("minutes__meeting__neighbourhood",)
    exclude = ("body",)
