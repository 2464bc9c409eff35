from __future__ import annotations

from django.urls import path

from meetings import attendance_views as views

MEETING = "buurt/<slug:slug>/overleg/<int:pk>/"

urlpatterns = [
    path(f"{MEETING}aanwezigen/", views.meeting_attendance, name="meeting_attendance"),
    path(f"{MEETING}aanwezigen/zoeken/", views.attendance_search, name="attendance_search"),
    path(f"{MEETING}aanwezigen/toevoegen/", views.attendance_add, name="attendance_add"),
    path(f"{MEETING}aanwezigen/bezoeker/", views.attendance_add_guest, name="attendance_add_guest"),
    path(
        f"{MEETING}aanwezigen/<int:attendance_pk>/verwijderen/",
        views.attendance_remove,
        name="attendance_remove",
    ),
    path(f"{MEETING}aanwezigen/inlopers/", views.attendance_walk_ins, name="attendance_walk_ins"),
    path(f"{MEETING}inchecken/", views.meeting_check_in, name="meeting_check_in"),
]
