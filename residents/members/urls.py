from __future__ import annotations

from django.urls import path

from residents.members import views

urlpatterns = [
    path("buurt/<slug:slug>/leden/", views.members, name="members"),
    path(
        "buurt/<slug:slug>/aanmeldingen/<int:pk>/goedkeuren/",
        views.member_approve,
        name="member_approve",
    ),
    path(
        "buurt/<slug:slug>/aanmeldingen/<int:pk>/afwijzen/",
        views.member_reject,
        name="member_reject",
    ),
    path("buurt/<slug:slug>/leden/<int:user_id>/rollen/", views.member_roles, name="member_roles"),
    path("buurt/<slug:slug>/leden/uitnodigen/", views.member_invite, name="member_invite"),
    path("buurt/<slug:slug>/leden/zonder-email/", views.member_add_paper, name="member_add_paper"),
    path("buurt/<slug:slug>/leden/importeren/", views.member_import, name="member_import"),
    path(
        "buurt/<slug:slug>/leden/importeren/controleren/",
        views.member_import_preview,
        name="member_import_preview",
    ),
    path(
        "buurt/<slug:slug>/leden/importeren/bevestigen/",
        views.member_import_confirm,
        name="member_import_confirm",
    ),
    path(
        "buurt/<slug:slug>/leden/importeren/stoppen/",
        views.member_import_cancel,
        name="member_import_cancel",
    ),
    path("buurt/<slug:slug>/uitnodigingscodes/", views.invite_codes, name="invite_codes"),
    path(
        "buurt/<slug:slug>/uitnodigingscodes/maken/",
        views.invite_codes_generate,
        name="invite_codes_generate",
    ),
    path("buurt/<slug:slug>/uitnodigingscodes/vel.pdf", views.invite_sheet, name="invite_sheet"),
]
