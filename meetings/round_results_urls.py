"""URLs of a priority round's published results and its paper ballot (meetings/urls.py)."""

from __future__ import annotations

from django.urls import path

from meetings import round_results_views as views

ROUND = "buurt/<slug:slug>/stemronde/<int:round_pk>/"

urlpatterns = [
    path(ROUND, views.round_results, name="round_results"),
    path(ROUND + "stembiljet.pdf", views.round_ballot_pdf, name="round_ballot_pdf"),
]
