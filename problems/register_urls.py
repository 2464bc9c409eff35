"""URLs of the public register (see problems/urls.py)."""

from __future__ import annotations

from django.urls import path

from problems import views

urlpatterns = [
    path("buurt/<slug:slug>/problemen/<int:pk>/", views.problem, name="problem"),
]
