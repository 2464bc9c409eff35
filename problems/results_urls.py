"""URLs of published round results, the round history and the paper ballot (problems/urls.py)."""

from __future__ import annotations

from django.urls import path

from problems import results_views as views

ROUND = "buurt/<slug:slug>/stemronde/<int:round_pk>/"

urlpatterns = [
    path("buurt/<slug:slug>/stemrondes/", views.rounds, name="rounds"),
    path(ROUND, views.round_results, name="round_results"),
    path(ROUND + "stembiljet.pdf", views.round_ballot_pdf, name="round_ballot_pdf"),
]
