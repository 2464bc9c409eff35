"""URLs of a resident's ballot: logged in, and the personal link from the agenda mail."""

from __future__ import annotations

from django.urls import path

from problems import ballot_views

urlpatterns = [
    path("buurt/<slug:slug>/stemmen/<int:round_pk>/", ballot_views.ballot, name="ballot"),
    path("link/stem/<str:token>/", ballot_views.ballot_link, name="ballot_link"),
]
