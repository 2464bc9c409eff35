from __future__ import annotations

from django.urls import include, path

urlpatterns = [
    # The room: the projector (secret link, no login), the agenda screen, attendance. First:
    # the projector's poll is the busiest URL of an evening (every screen, every few seconds),
    # and Django tries patterns in order.
    path("", include("meetings.room.urls")),
    # Planning: the meeting page, RSVP, proposals, move/cancel, the agenda editor.
    path("", include("meetings.planning.urls")),
    # Priority rounds: ballots, the round history, the chair's side, published results.
    path("", include("meetings.rounds.urls")),
    # Actions: their pages, the agenda screen's panels, accountability, the survey link.
    path("", include("meetings.actions.urls")),
    # The minutes: editor, versions, PDFs, publishing.
    path("", include("meetings.minutes.urls")),
    # The printed pack for the neighbourhood office: minutes, poster, paper ballots.
    path("", include("meetings.pack.urls")),
    # The mail pages: mailings, their progress and retry, blocked member addresses.
    path("", include("meetings.mailings.urls")),
]
