from __future__ import annotations

from django.urls import path

from residents.members import views
from residents.urls import HOOD

app_name = "members"

urlpatterns = [
    path(f"{HOOD}leden/", views.members, name="members"),
    path(
        f"{HOOD}aanmeldingen/<int:pk>/goedkeuren/",
        views.member_approve,
        name="member_approve",
    ),
    path(
        f"{HOOD}aanmeldingen/<int:pk>/afwijzen/",
        views.member_reject,
        name="member_reject",
    ),
    path(f"{HOOD}leden/<int:user_id>/rollen/", views.member_roles, name="member_roles"),
    path(f"{HOOD}leden/uitnodigen/", views.member_invite, name="member_invite"),
    path(f"{HOOD}leden/zonder-email/", views.member_add_paper, name="member_add_paper"),
    path(f"{HOOD}leden/importeren/", views.member_import, name="member_import"),
    path(
        f"{HOOD}leden/importeren/controleren/",
        views.member_import_preview,
        name="member_import_preview",
    ),
    path(
        f"{HOOD}leden/importeren/bevestigen/",
        views.member_import_confirm,
        name="member_import_confirm",
    ),
    path(
        f"{HOOD}leden/importeren/stoppen/",
        views.member_import_cancel,
        name="member_import_cancel",
    ),
    path(f"{HOOD}uitnodigingscodes/", views.invite_codes, name="invite_codes"),
    path(
        f"{HOOD}uitnodigingscodes/maken/",
        views.invite_codes_generate,
        name="invite_codes_generate",
    ),
    path(f"{HOOD}uitnodigingscodes/vel.pdf", views.invite_sheet, name="invite_sheet"),
]
