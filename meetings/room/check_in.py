"""The address residents check in at, and its QR code, as the projector and the attendance
screen show them (the check-in page itself: meetings.room.views.attendance)."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse

from buurtoverleg.qr import qr_data_uri
from meetings.planning.models import Meeting


def check_in_url(meeting: Meeting) -> str:
    """The absolute address residents open with the QR code on the projector."""
    return settings.SITE_URL + reverse(
        "room:meeting_check_in", kwargs={"slug": meeting.neighbourhood.slug, "pk": meeting.pk}
    )


def check_in_qr(meeting: Meeting) -> str:
    """The check-in QR code as an SVG data URI (no file to serve, sharp on a big screen)."""
    return qr_data_uri(check_in_url(meeting))
