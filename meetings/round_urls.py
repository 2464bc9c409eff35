"""URLs of the chair's side of a priority round (see meetings/round_views.py)."""

from __future__ import annotations

from django.urls import path

from meetings import round_views as views

ROUND = "buurt/<slug:slug>/overleg/<int:pk>/stemronde/"

urlpatterns = [
    path(ROUND, views.round_manage, name="round"),
    path(f"{ROUND}papier/", views.round_paper, name="round_paper"),
    path(f"{ROUND}stand/", views.round_panel_live, name="round_panel_live"),
]
