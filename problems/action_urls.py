"""URLs of the action pages between meetings and "Mijn acties" (see problems/action_views.py)."""

from __future__ import annotations

from django.urls import path

from problems import action_views
from problems.register_urls import PROBLEM

ACTION = "buurt/<slug:slug>/acties/<int:pk>/"

urlpatterns = [
    path(ACTION, action_views.action, name="action"),
    path(ACTION + "voortgang/", action_views.action_progress, name="action_progress"),
    path(ACTION + "datum/", action_views.action_due_date, name="action_due_date"),
    path(ACTION + "status/", action_views.action_status, name="action_status"),
    path(ACTION + "vertraging/", action_views.action_delay, name="action_delay"),
    path(ACTION + "wijzigen/", action_views.action_edit, name="action_edit"),
    path(ACTION + "aanmelden/", action_views.action_volunteer, name="action_volunteer"),
    path(
        ACTION + "afmelden/",
        action_views.action_volunteer_withdraw,
        name="action_volunteer_withdraw",
    ),
    path(PROBLEM + "acties/nieuw/", action_views.action_create, name="action_create"),
    path(PROBLEM + "analyse/", action_views.analysis_edit, name="analysis_edit"),
    path("mijn-acties/", action_views.my_actions, name="my_actions"),
]
