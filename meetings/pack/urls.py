"""The printed pack for the neighbourhood office and the notice-board poster (views in
meetings.pack.views)."""

from __future__ import annotations

from django.urls import path

from meetings.pack import views

urlpatterns = [
    path(
        "buurt/<slug:slug>/overleg/<int:pk>/printpakket.pdf",
        views.meeting_pack,
        name="meeting_pack",
    ),
    path("buurt/<slug:slug>/affiche.pdf", views.poster, name="poster"),
]
