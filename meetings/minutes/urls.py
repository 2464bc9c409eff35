"""The minutes of a meeting (views in meetings.minutes.views)."""

from __future__ import annotations

from django.urls import path

from meetings.minutes import views
from residents.urls import HOOD

MINUTES = f"{HOOD}overleg/<int:pk>/notulen/"
VERSION = MINUTES + "versie/<int:number>/"

app_name = "minutes"

urlpatterns = [
    path(MINUTES, views.minutes_page, name="minutes"),
    path(MINUTES + "bewerken/", views.minutes_edit, name="minutes_edit"),
    path(MINUTES + "opslaan/", views.minutes_save, name="minutes_save"),
    path(MINUTES + "opstellen/", views.minutes_draft, name="minutes_draft"),
    path(MINUTES + "voorbeeld/", views.minutes_preview, name="minutes_preview"),
    path(MINUTES + "concept.pdf", views.minutes_draft_pdf_view, name="minutes_draft_pdf"),
    path(
        MINUTES + "concept-grote-letter.pdf",
        views.minutes_draft_pdf_view,
        {"large": True},
        name="minutes_draft_pdf_large",
    ),
    path(MINUTES + "vaststellen/", views.minutes_finalise, name="minutes_finalise"),
    path(VERSION, views.minutes_version, name="minutes_version"),
    path(VERSION + "voortgang/", views.minutes_progress, name="minutes_progress"),
    path(VERSION + "opnieuw/", views.minutes_rerender, name="minutes_rerender"),
    path(VERSION + "publiceren/", views.minutes_publish, name="minutes_publish"),
    path(VERSION + "notulen.pdf", views.minutes_pdf, name="minutes_pdf"),
    path(
        VERSION + "notulen-grote-letter.pdf",
        views.minutes_pdf,
        {"large": True},
        name="minutes_pdf_large",
    ),
]
