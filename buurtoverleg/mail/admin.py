from __future__ import annotations

from django.contrib import admin

from buurtoverleg.mail.models import Delivery, Mailing, MailSuppression


class DeliveryInline(admin.TabularInline):
    model = Delivery
    extra = 0
    fields = ("email", "status", "attempts", "sent_at", "last_error")
    readonly_fields = ("email", "status", "attempts", "sent_at", "last_error")
    can_delete = False
    show_change_link = True


@admin.register(Mailing)
class MailingAdmin(admin.ModelAdmin):
    list_display = ("__str__", "kind", "neighbourhood", "created_at")
    list_filter = ("kind", "neighbourhood")
    readonly_fields = ("key", "created_by", "subject_type", "subject_id")
    list_select_related = ("neighbourhood",)
    inlines = (DeliveryInline,)


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ("email", "mailing", "status", "attempts", "sent_at")
    list_filter = ("status",)
    search_fields = ("email",)
    readonly_fields = ("mailing", "user", "claimed_at", "queued_at", "sent_at")
    list_select_related = ("mailing",)


@admin.register(MailSuppression)
class MailSuppressionAdmin(admin.ModelAdmin):
    list_display = ("email", "permanent_failures", "suppressed_at", "updated_at")
    search_fields = ("email",)
