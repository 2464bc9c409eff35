"""URLs of the room: the projector (first: its poll is the busiest URL of an evening), the
chair's agenda screen and its controls, and attendance with self check-in."""

from __future__ import annotations

from django.urls import path

from meetings.room.views import attendance, projector, screen
from residents.urls import HOOD

MEETING = f"{HOOD}overleg/<int:pk>/"
SCREEN = f"{MEETING}leiden/"
ITEM = f"{SCREEN}punt/<int:item_pk>/"

app_name = "room"

urlpatterns = [
    # The venue PC: a secret link, no login (the key is the password).
    path("scherm/<str:key>/", projector.projector, name="projector"),
    path("scherm/<str:key>/stand/", projector.projector_state, name="projector_state"),
    # The chair copies, opens or revokes that link.
    path(f"{MEETING}scherm/", projector.projector_link, name="projector_link"),
    path(SCREEN, screen.meeting_screen, name="meeting_screen"),
    path(f"{SCREEN}starten/", screen.meeting_start, name="meeting_start"),
    path(f"{SCREEN}volgende/", screen.meeting_next, name="meeting_next"),
    path(f"{SCREEN}vorige/", screen.meeting_previous, name="meeting_previous"),
    path(f"{SCREEN}naar/", screen.meeting_go_to, name="meeting_go_to"),
    path(f"{SCREEN}sluiten/", screen.meeting_close, name="meeting_close"),
    path(f"{SCREEN}rollen/", screen.meeting_next_roles, name="meeting_next_roles"),
    path(f"{ITEM}klaar/", screen.item_done, name="item_done"),
    path(f"{ITEM}heropenen/", screen.item_reopen, name="item_reopen"),
    path(f"{ITEM}tekst/", screen.item_text_save, name="item_text_save"),
    path(f"{MEETING}aanwezigen/", attendance.meeting_attendance, name="meeting_attendance"),
    path(f"{MEETING}aanwezigen/zoeken/", attendance.attendance_search, name="attendance_search"),
    path(f"{MEETING}aanwezigen/toevoegen/", attendance.attendance_add, name="attendance_add"),
    path(
        f"{MEETING}aanwezigen/bezoeker/",
        attendance.attendance_add_guest,
        name="attendance_add_guest",
    ),
    path(
        f"{MEETING}aanwezigen/<int:attendance_pk>/verwijderen/",
        attendance.attendance_remove,
        name="attendance_remove",
    ),
    path(
        f"{MEETING}aanwezigen/inlopers/",
        attendance.attendance_walk_ins,
        name="attendance_walk_ins",
    ),
    path(f"{MEETING}inchecken/", attendance.meeting_check_in, name="meeting_check_in"),
]
