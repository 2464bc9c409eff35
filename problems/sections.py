"""What the problems app shows on a neighbourhood's page (residents.sections): the priorities,
and the register's size. The priority vote around them is meetings.rounds.sections'."""

from __future__ import annotations

from typing import Any

from residents.permissions import Perm, can
from residents.sections import SectionContext, neighbourhood_section


@neighbourhood_section("problems", "problems/neighbourhood_summary.html", order=30)
def problems_summary(ctx: SectionContext) -> dict[str, Any]:
    """The priorities, with the link to what came of them."""
    return {
        "priorities": list(
            ctx.neighbourhood.problems.priorities()
            .select_related("category")
            .order_by("-support_count", "pk")
        ),
    }


@neighbourhood_section("register", "problems/neighbourhood_register.html", order=40)
def register_summary(ctx: SectionContext) -> dict[str, Any]:
    """The register's size, and reporting a problem."""
    hood = ctx.neighbourhood
    return {
        "open_problems": hood.problems.open().public().count(),
        "can_report": can(ctx.request.user, Perm.REPORT_PROBLEM, hood),
    }
