"""The printed pack for the neighbourhood office and the notice-board poster (views in
meetings.pack_views)."""

from __future__ import annotations

from django.urls import path

from meetings import pack_views as views

urlpatterns = [
    path(
        "buurt/<slug:slug>/overleg/<int:pk>/printpakket.pdf",
        views.meeting_pack,
        name="meeting_pack",
    ),
    path("buurt/<slug:slug>/affiche.pdf", views.poster, name="poster"),
]
