"""What the problems app shows on a neighbourhood's page (residents.sections)."""

from __future__ import annotations

from typing import Any

from problems.results_views import neighbourhood_rounds
from residents.permissions import Perm, can
from residents.sections import SectionContext, neighbourhood_section


@neighbourhood_section("problems", "problems/neighbourhood_summary.html", order=30)
def problems_summary(ctx: SectionContext) -> dict[str, Any]:
    """The call to vote, the priorities, the last vote's results and the register's size."""
    hood, user = ctx.neighbourhood, ctx.request.user
    return {
        "priorities": list(
            hood.problems.priorities().select_related("category").order_by("-support_count", "pk")
        ),
        "open_problems": hood.problems.open().public().count(),
        "can_report": can(user, Perm.REPORT_PROBLEM, hood),
        "can_vote": can(user, Perm.VOTE, hood),
        # The round open for votes and the last one's results: one query, three with results.
        **neighbourhood_rounds(hood),
    }
