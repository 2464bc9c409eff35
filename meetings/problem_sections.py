"""What the meetings app shows on a problem's page (problems.problem_sections)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.utils import timezone

from meetings import workflow
from meetings.planning.models import AgendaItem, Meeting
from problems.problem_sections import ProblemSectionContext, problem_section

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
            status__in=workflow.PUBLIC_AGENDA,  # residents can read its agenda
            pk__in=AgendaItem.objects.filter(links__problem=problem).values("meeting_id"),
        )
        .order_by("-starts_at", "-pk")
        .only("pk", "starts_at", "ends_at", "status")[:SHOWN]
    )
    now = timezone.now()
    return {
        "problem_meetings": [
            ProblemMeeting(pk=m.pk, starts_at=m.starts_at, upcoming=workflow.not_over(m, now))
            for m in rows
        ]
    }
