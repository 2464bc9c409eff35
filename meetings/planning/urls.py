"""Planning: the list of meetings, a meeting's page, RSVP, proposals, the agenda editor, moving
and cancelling (views in meetings.planning.views)."""

from __future__ import annotations

from django.urls import path

from meetings.planning import views
from residents.urls import HOOD

MEETING = f"{HOOD}overleg/<int:pk>/"
AGENDA = MEETING + "agenda/"

app_name = "planning"

urlpatterns = [
    # Calendars: the neighbourhood's feed, and one meeting.
    path(f"{HOOD}overleg/agenda.ics", views.neighbourhood_calendar, name="calendar"),
    path(f"{HOOD}overleg/<int:pk>.ics", views.meeting_ics, name="meeting_ics"),
    path(f"{HOOD}overleg/", views.meetings, name="meetings"),
    path(f"{HOOD}overleg/nieuw/", views.meeting_create, name="meeting_create"),
    path(MEETING, views.meeting, name="meeting"),
    path(MEETING + "aanmelden/", views.meeting_rsvp, name="meeting_rsvp"),
    path(MEETING + "voorstellen/", views.meeting_propose, name="meeting_propose"),
    path(MEETING + "verplaatsen/", views.meeting_move, name="meeting_move"),
    path(MEETING + "afgelasten/", views.meeting_cancel, name="meeting_cancel"),
    path(AGENDA, views.agenda_edit, name="agenda_edit"),
    path(AGENDA + "punt-toevoegen/", views.agenda_item_add, name="agenda_item_add"),
    path(AGENDA + "nieuwe-problemen/", views.agenda_new_problems, name="agenda_new_problems"),
    path(AGENDA + "publiceren/", views.agenda_publish, name="agenda_publish"),
    path(AGENDA + "concept/", views.agenda_unpublish, name="agenda_unpublish"),
    path(AGENDA + "punt/<int:item_pk>/", views.agenda_item_save, name="agenda_item_save"),
    path(
        AGENDA + "punt/<int:item_pk>/verwijderen/",
        views.agenda_item_remove,
        name="agenda_item_remove",
    ),
    path(
        AGENDA + "punt/<int:item_pk>/verschuiven/", views.agenda_item_move, name="agenda_item_move"
    ),
    path(
        AGENDA + "punt/<int:item_pk>/problemen/",
        views.agenda_item_problems,
        name="agenda_item_problems",
    ),
    path(
        AGENDA + "voorstel/<int:proposal_pk>/",
        views.proposal_decide,
        name="proposal_decide",
    ),
]
