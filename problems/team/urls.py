"""URLs of problems.team (see problems/urls.py): moderation queue, status changes, edits."""

from __future__ import annotations

from django.urls import path

from problems.team import views as team_views
from residents.urls import HOOD

app_name = "team"

urlpatterns = [
    path(f"{HOOD}problemen/team/", team_views.problem_queue, name="problem_queue"),
    path(
        f"{HOOD}problemen/inzagelog/",
        team_views.problem_confidential_log,
        name="problem_confidential_log",
    ),
    path(
        f"{HOOD}problemen/<int:pk>/status/",
        team_views.problem_transition,
        name="problem_transition",
    ),
    path(
        f"{HOOD}problemen/<int:pk>/bewerken/",
        team_views.problem_edit,
        name="problem_edit",
    ),
    path(
        f"{HOOD}problemen/<int:pk>/chronisch/",
        team_views.problem_chronic,
        name="problem_chronic",
    ),
    path(
        f"{HOOD}problemen/<int:pk>/heropenen/",
        team_views.problem_reopen_request,
        name="problem_reopen_request",
    ),
]
