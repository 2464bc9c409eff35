"""Running a meeting: the chair's agenda screen and its controls (meetings/run_views.py)."""

from __future__ import annotations

from django.urls import path

from meetings import run_views as views

SCREEN = "buurt/<slug:slug>/overleg/<int:pk>/leiden/"
ITEM = f"{SCREEN}punt/<int:item_pk>/"

urlpatterns = [
    path(SCREEN, views.meeting_screen, name="meeting_screen"),
    path(f"{SCREEN}starten/", views.meeting_start, name="meeting_start"),
    path(f"{SCREEN}volgende/", views.meeting_next, name="meeting_next"),
    path(f"{SCREEN}vorige/", views.meeting_previous, name="meeting_previous"),
    path(f"{SCREEN}naar/", views.meeting_go_to, name="meeting_go_to"),
    path(f"{SCREEN}sluiten/", views.meeting_close, name="meeting_close"),
    path(f"{SCREEN}rollen/", views.meeting_next_roles, name="meeting_next_roles"),
    path(f"{ITEM}klaar/", views.item_done, name="item_done"),
    path(f"{ITEM}heropenen/", views.item_reopen, name="item_reopen"),
    path(f"{ITEM}tekst/", views.item_text_save, name="item_text_save"),
]
