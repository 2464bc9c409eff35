"""URLs of actions: their pages between meetings and "Mijn acties", the agenda screen's
Aanpak and Terugkoppeling forms, the public accountability page and the "Is het beter
geworden?" link from the survey mail."""

from __future__ import annotations

from django.urls import path

from meetings.actions.views import accountability, actions, panel, survey
from problems.urls import PROBLEM
from residents.urls import HOOD

ACTION = f"{HOOD}acties/<int:pk>/"
ITEM = f"{HOOD}overleg/<int:pk>/leiden/punt/<int:item_pk>/"

app_name = "actions"

urlpatterns = [
    path(ACTION, actions.action, name="action"),
    path(ACTION + "voortgang/", actions.action_progress, name="action_progress"),
    path(ACTION + "datum/", actions.action_due_date, name="action_due_date"),
    path(ACTION + "status/", actions.action_status, name="action_status"),
    path(ACTION + "vertraging/", actions.action_delay, name="action_delay"),
    path(ACTION + "wijzigen/", actions.action_edit, name="action_edit"),
    path(ACTION + "aanmelden/", actions.action_volunteer, name="action_volunteer"),
    path(
        ACTION + "afmelden/",
        actions.action_volunteer_withdraw,
        name="action_volunteer_withdraw",
    ),
    path(PROBLEM + "acties/nieuw/", actions.action_create, name="action_create"),
    path(PROBLEM + "analyse/", actions.analysis_edit, name="analysis_edit"),
    path("mijn-acties/", actions.my_actions, name="my_actions"),
    path(
        f"{ITEM}aanpak/<int:problem_pk>/analyse/",
        panel.approach_analysis_save,
        name="approach_analysis_save",
    ),
    path(
        f"{ITEM}aanpak/<int:problem_pk>/actie/",
        panel.approach_action_create,
        name="approach_action_create",
    ),
    path(
        f"{ITEM}terugkoppeling/actie/<int:action_pk>/oordeel/",
        panel.report_back_judgement,
        name="report_back_judgement",
    ),
    path(
        f"{ITEM}terugkoppeling/probleem/<int:problem_pk>/opgelost/",
        panel.report_back_resolve,
        name="report_back_resolve",
    ),
    path(f"{HOOD}verantwoording/", accountability.accountability, name="accountability"),
    path("link/beter/<str:token>/", survey.survey_link, name="survey_link"),
]
