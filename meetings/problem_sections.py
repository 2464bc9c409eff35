"""What the meetings app shows on a problem's page (problems.problem_sections)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from meetings.models import AgendaItem, Meeting
from problems.problem_sections import ProblemSectionContext, problem_section

# Meetings whose agenda residents can read: not a planned draft, not cancelled.
PUBLIC_AGENDA = (
    Meeting.Status.AGENDA_PUBLISHED,
    Meeting.Status.IN_PROGRESS,
    Meeting.Status.CLOSED,
    Meeting.Status.MINUTES_PUBLISHED,
)
# Still to come (or under way) while the meeting has not been closed and has not ended.
NOT_CLOSED = (Meeting.Status.AGENDA_PUBLISHED, Meeting.Status.IN_PROGRESS)
SHOWN = 5


@dataclass(frozen=True)
class ProblemMeeting:
    pk: int
    starts_at: datetime
    upcoming: bool


@problem_section("meetings", "meetings/problem_meetings.html", order=10)
def problem_meetings(ctx: ProblemSectionContext) -> dict[str, Any]:
    """The meetings at which this problem is or was on the agenda, newest first: dates and
    links only, never who reported it. One query."""
    problem = ctx.problem
    rows = (
        Meeting.objects.filter(
            neighbourhood_id=problem.neighbourhood_id,
            status__in=PUBLIC_AGENDA,
            pk__in=AgendaItem.objects.filter(links__problem=problem).values("meeting_id"),
        )
        .order_by("-starts_at", "-pk")
        .values_list("pk", "starts_at", "ends_at", "status")[:SHOWN]
    )
    now = timezone.now()
    return {
        "problem_meetings": [
            ProblemMeeting(
                pk=pk, starts_at=starts_at, upcoming=status in NOT_CLOSED and ends_at >= now
            )
            for pk, starts_at, ends_at, status in rows
        ]
    }
