"""Reads about a meeting's place among its neighbourhood's meetings: the previous one, and
where "new since the last meeting" starts. Each is one query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from meetings.planning.models import Meeting

# Without an earlier meeting, "new since the last meeting" looks back this far.
FIRST_MEETING_LOOKBACK = timedelta(days=31)


def meeting_before(meeting: Meeting) -> Meeting | None:
    """The neighbourhood's previous meeting that was not cancelled."""
    return Meeting.objects.preceding(meeting).first()


@dataclass(frozen=True)
class Since:
    at: datetime
    previous: bool  # `at` is the previous meeting's start (else FIRST_MEETING_LOOKBACK before)


def meeting_after(meeting: Meeting) -> Meeting | None:
    """The next meeting of the neighbourhood that is not cancelled. One query."""
    return Meeting.objects.following(meeting).first()


def new_since(meeting: Meeting) -> Since:
    """Where "new since the last meeting" starts: the planned start of the previous meeting
    that was not cancelled, or FIRST_MEETING_LOOKBACK before this one's."""
    previous = Meeting.objects.preceding(meeting).values_list("starts_at", flat=True).first()
    if previous is None:
        return Since(at=meeting.starts_at - FIRST_MEETING_LOOKBACK, previous=False)
    return Since(at=previous, previous=True)
