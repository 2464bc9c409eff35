"""URLs of priority rounds: a resident's ballot (logged in, or by the personal link from the
agenda mail), a neighbourhood's round history, the chair's side of a meeting's round, and a
round's published results with its printable paper ballot."""

from __future__ import annotations

from django.urls import path

from meetings.rounds.views import ballot, chair, history, results
from residents.urls import HOOD

MEETING_ROUND = f"{HOOD}overleg/<int:pk>/stemronde/"
ROUND = f"{HOOD}stemronde/<int:round_pk>/"

app_name = "rounds"

urlpatterns = [
    path(f"{HOOD}stemmen/<int:round_pk>/", ballot.ballot, name="ballot"),
    path("link/stem/<str:token>/", ballot.ballot_link, name="ballot_link"),
    path(f"{HOOD}stemrondes/", history.rounds, name="rounds"),
    path(MEETING_ROUND, chair.round_manage, name="round"),
    path(f"{MEETING_ROUND}papier/", chair.round_paper, name="round_paper"),
    path(f"{MEETING_ROUND}stand/", chair.round_panel_live, name="round_panel_live"),
    path(ROUND, results.round_results, name="round_results"),
    path(ROUND + "stembiljet.pdf", results.round_ballot_pdf, name="round_ballot_pdf"),
]
