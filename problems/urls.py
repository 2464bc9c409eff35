"""URLs of the register: reporting, the public register and a problem's page with support and
following, the team's moderation, and the open data API."""

from __future__ import annotations

from django.urls import include, path

from problems import views
from residents.urls import HOOD

PROBLEM = f"{HOOD}problemen/<int:pk>/"

urlpatterns = [
    path("", include("problems.report.urls")),  # reporting, similar-title suggestions, photos
    # The public register, a problem's page, support and following.
    path(f"{HOOD}problemen/", views.problem_list, name="problem_list"),
    path(PROBLEM, views.problem, name="problem"),
    path(PROBLEM + "steunen/", views.problem_support, name="problem_support"),
    path(
        PROBLEM + "steun-intrekken/",
        views.problem_support_withdraw,
        name="problem_support_withdraw",
    ),
    path(PROBLEM + "volgen/", views.problem_follow, name="problem_follow"),
    path(PROBLEM + "niet-meer-volgen/", views.problem_unfollow, name="problem_unfollow"),
    path(
        "link/niet-meer-volgen/<str:token>/",
        views.problem_unfollow_link,
        name="problem_unfollow_link",
    ),
    path("mijn-meldingen/", views.my_problems, name="my_problems"),
    path("", include("problems.team.urls")),  # moderation queue, status changes, edits
    path("api/", include("problems.api.urls")),  # read-only open data, OpenAPI schema
]
