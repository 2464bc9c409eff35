"""What the meetings app shows on a neighbourhood's page (residents.sections)."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from meetings import workflow
from meetings.planning.selectors import upcoming_agenda
from residents.sections import SectionContext, neighbourhood_section


@neighbourhood_section("next_meeting", "meetings/next_meeting_neighbourhood.html", order=10)
def next_meeting(ctx: SectionContext) -> dict[str, Any]:
    """The next meeting that is still to come or under way; its agenda once it is published."""
    meeting = (
        ctx.neighbourhood.meetings.filter(workflow.not_over_q(timezone.now()))
        .order_by("starts_at")
        .first()
    )
    return {"next_meeting": meeting, "next_agenda": upcoming_agenda(meeting)}


@neighbourhood_section("minutes", "meetings/minutes_neighbourhood.html", order=20)
def published_minutes(_ctx: SectionContext) -> dict[str, Any]:
    """The last three published minutes: the partial fetches them (one query)."""
    return {}
