from __future__ import annotations

from django.urls import include, path

from meetings import views

urlpatterns = [
    # The projector view (secret link, no login). First: its poll is the busiest URL of an
    # evening (every screen, every few seconds), and Django tries patterns in order.
    path("", include("meetings.projector_urls")),
    # Planning: the meeting page, RSVP, proposals, move/cancel, the agenda editor.
    path("", include("meetings.plan_urls")),
    # Running it: the chair's agenda screen and its panels.
    path("", include("meetings.run_urls")),
    # Priority rounds: ballots, the round history, the chair's side, published results.
    path("", include("meetings.rounds.urls")),
    # Actions: their pages, the agenda screen's panels, accountability, the survey link.
    path("", include("meetings.actions.urls")),
    # Attendance and self check-in.
    path("", include("meetings.attendance_urls")),
    # The minutes: editor, versions, PDFs, publishing.
    path("", include("meetings.minutes_urls")),
    # The printed pack for the neighbourhood office: minutes, poster, paper ballots.
    path("", include("meetings.pack_urls")),
    # Member addresses blocked after bounces, and lifting a block with a reason.
    path("", include("meetings.mail_blocks_urls")),
    path("buurt/<slug:slug>/overleg/agenda.ics", views.neighbourhood_calendar, name="calendar"),
    path("buurt/<slug:slug>/overleg/<int:pk>.ics", views.meeting_ics, name="meeting_ics"),
    path("buurt/<slug:slug>/e-mails/", views.mailings, name="mailings"),
    path("buurt/<slug:slug>/e-mails/<int:pk>/", views.mailing, name="mailing"),
    path(
        "buurt/<slug:slug>/e-mails/<int:pk>/voortgang/",
        views.mailing_progress,
        name="mailing_progress",
    ),
    path(
        "buurt/<slug:slug>/e-mails/<int:pk>/opnieuw/",
        views.mailing_retry,
        name="mailing_retry",
    ),
]
