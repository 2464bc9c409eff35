from __future__ import annotations

from django.urls import path

from meetings import projector_views

urlpatterns = [
    # The venue PC: a secret link, no login (the key is the password).
    path("scherm/<str:key>/", projector_views.projector, name="projector"),
    path("scherm/<str:key>/stand/", projector_views.projector_state, name="projector_state"),
    # The chair copies, opens or revokes that link.
    path(
        "buurt/<slug:slug>/overleg/<int:pk>/scherm/",
        projector_views.projector_link,
        name="projector_link",
    ),
]
