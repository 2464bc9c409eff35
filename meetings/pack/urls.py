"""The printed pack for the neighbourhood office and the notice-board poster (views in
meetings.pack.views)."""

from __future__ import annotations

from django.urls import path

from meetings.pack import views
from residents.urls import HOOD

app_name = "pack"

urlpatterns = [
    path(
        f"{HOOD}overleg/<int:pk>/printpakket.pdf",
        views.meeting_pack,
        name="meeting_pack",
    ),
    path(f"{HOOD}affiche.pdf", views.poster, name="poster"),
]
