"""URLs of a neighbourhood's round history (problems/urls.py). A round's own results page and
its paper ballot are meetings/round_results_urls.py."""

from __future__ import annotations

from django.urls import path

from problems import results_views as views

urlpatterns = [
    path("buurt/<slug:slug>/stemrondes/", views.rounds, name="rounds"),
]
