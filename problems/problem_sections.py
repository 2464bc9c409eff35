"""Sections: what other apps show on a problem's page, each one template partial.

The problem's page (problems.views.problem) has its own registry, next to the neighbourhood
page's (residents.sections, which problems/sections.py fills). A section is one template
partial and one function giving its context, registered under a name with an order (lower
comes first):

    @problem_section("meetings", "meetings/problem_meetings.html", order=10)
    def meetings(ctx: ProblemSectionContext) -> dict[str, Any]:
        return {"meetings": ...}

The page renders the registered sections in order after its status and support blocks and
before the team's blocks and the history, each partial seeing the page's context plus its own
as `section`. Team sections (`@problem_team_section`) are rendered inside the team's block,
after the chronic signals, and only for the team. The apps above problems register theirs by
importing their module from their AppConfig.ready(); problems imports none of them.

The page's access rules have already been applied when a section runs (problem_for: 404 for
what this person may not see); ctx.access says what else they may see. A section shows public
facts only unless ctx.access.team. Its function must not run a query per row: the page's query
count is asserted (tests/problems/test_problem_page.py). A section with nothing to show
renders nothing (its partial decides); the function always returns a dict.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest

from buurtoverleg.sections import Section, register_section, render_sections
from problems.access import Access
from problems.models import Problem


@dataclass(frozen=True)
class ProblemSectionContext:
    request: HttpRequest
    problem: Problem
    access: Access


ProblemSectionView = Callable[[ProblemSectionContext], dict[str, Any]]


# Every section of a problem's page (buurtoverleg.sections is the mechanism), and those in the
# team's block.
ProblemSection = Section
SECTIONS: dict[str, Section] = {}
TEAM_SECTIONS: dict[str, Section] = {}


def problem_section[F: ProblemSectionView](
    name: str, template: str, *, order: int
) -> Callable[[F], F]:
    """Register `view` as the context of `template` on a problem's page."""
    return register_section(SECTIONS, "problem", name, template, order)


def problem_team_section[F: ProblemSectionView](
    name: str, template: str, *, order: int
) -> Callable[[F], F]:
    """Register `view` as the context of `template` in the team's block of a problem's page."""
    return register_section(TEAM_SECTIONS, "problem team", name, template, order)


def problem_sections(
    request: HttpRequest, problem: Problem, access: Access
) -> list[dict[str, Any]]:
    """The registered sections in order (buurtoverleg.sections.render_sections)."""
    return render_sections(
        SECTIONS, ProblemSectionContext(request=request, problem=problem, access=access)
    )


def problem_team_sections(
    request: HttpRequest, problem: Problem, access: Access
) -> list[dict[str, Any]]:
    """The registered team sections in order; none unless this person is on the team."""
    if not access.team:
        return []
    return render_sections(
        TEAM_SECTIONS, ProblemSectionContext(request=request, problem=problem, access=access)
    )
