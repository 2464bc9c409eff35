"""URLs of the open data API (problems.api.views), included at /api/ by problems/urls.py."""

from __future__ import annotations

from django.urls import path, re_path

from problems.api import views as api

urlpatterns = [
    path("neighbourhoods/", api.NeighbourhoodList.as_view(), name="api_neighbourhoods"),
    path("categories/", api.CategoryList.as_view(), name="api_categories"),
    path("problems/", api.ProblemList.as_view(), name="api_problems"),
    path("problems/<int:pk>/", api.ProblemDetail.as_view(), name="api_problem"),
    # OpenAPI 3: YAML by default, JSON with ?format=json.
    path("schema/", api.Schema.as_view(), name="api_schema"),
    # Anything else that ends in a slash (without one, APPEND_SLASH redirects first), also with
    # a line break in it: the API answers its own JSON 404, never the HTML page.
    re_path(r"^(?:[\s\S]*/)?$", api.NotFound.as_view()),
]
