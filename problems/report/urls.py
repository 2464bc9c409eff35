"""URLs of problems.report.views (see problems/urls.py)."""

from __future__ import annotations

from django.urls import path

from problems.report import views as report_views
from residents.urls import HOOD

app_name = "report"

urlpatterns = [
    path(
        f"{HOOD}problemen/melden/",
        report_views.problem_report,
        name="problem_report",
    ),
    path(
        f"{HOOD}problemen/vergelijkbaar/",
        report_views.problem_similar,
        name="problem_similar",
    ),
    path(
        f"{HOOD}problemen/<int:pk>/fotos/<int:photo_id>/",
        report_views.problem_photo,
        name="problem_photo",
    ),
]
