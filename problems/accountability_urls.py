"""URL of the public accountability page (problems/urls.py)."""

from __future__ import annotations

from django.urls import path

from problems import accountability_views as views

urlpatterns = [
    path("buurt/<slug:slug>/verantwoording/", views.accountability, name="accountability"),
]
