"""The "Is het beter geworden?" link from the survey mail (see problems/urls.py)."""

from __future__ import annotations

from django.urls import path

from problems import survey_views

urlpatterns = [
    path("link/beter/<str:token>/", survey_views.survey_link, name="survey_link"),
]
