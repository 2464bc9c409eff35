from __future__ import annotations

from django.urls import include, path

urlpatterns = [
    path("", include("problems.report_urls")),  # reporting, similar-title suggestions, photos
    path("", include("problems.register_urls")),  # public register, a problem, support, follow
    path("", include("problems.team_urls")),  # moderation queue, status changes, edits
    path("api/", include("problems.api_urls")),  # read-only open data, OpenAPI schema
]
