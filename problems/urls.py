from __future__ import annotations

from django.urls import include, path

urlpatterns = [
    path("", include("problems.report_urls")),  # reporting, similar-title suggestions, photos
    path("", include("problems.register_urls")),  # public register, a problem, support, follow
    path("", include("problems.team_urls")),  # moderation queue, status changes, edits
    path("", include("problems.ballot_urls")),  # a resident's ballot, logged in or by link
    path("", include("problems.results_urls")),  # the round history
    path("", include("problems.action_urls")),  # actions, their history, Mijn acties
    path("", include("problems.accountability_urls")),  # the public accountability page
    path("", include("problems.survey_urls")),  # "Is het beter geworden?" by link
    path("api/", include("problems.api_urls")),  # read-only open data, OpenAPI schema
]
