"""The forms of the agenda screen's Aanpak and Terugkoppeling panels
(meetings/action_panel_views.py), under the agenda screen's item URLs."""

from __future__ import annotations

from django.urls import path

from meetings import action_panel_views as views

ITEM = "buurt/<slug:slug>/overleg/<int:pk>/leiden/punt/<int:item_pk>/"

urlpatterns = [
    path(
        f"{ITEM}aanpak/<int:problem_pk>/analyse/",
        views.approach_analysis_save,
        name="approach_analysis_save",
    ),
    path(
        f"{ITEM}aanpak/<int:problem_pk>/actie/",
        views.approach_action_create,
        name="approach_action_create",
    ),
    path(
        f"{ITEM}terugkoppeling/actie/<int:action_pk>/oordeel/",
        views.report_back_judgement,
        name="report_back_judgement",
    ),
    path(
        f"{ITEM}terugkoppeling/probleem/<int:problem_pk>/opgelost/",
        views.report_back_resolve,
        name="report_back_resolve",
    ),
]
