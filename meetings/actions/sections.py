"""What actions show on a problem's page (problems.problem_sections): the "Aanpak" section,
and in the team's block what residents answered after the problem was resolved."""

from __future__ import annotations

from typing import Any

from meetings.actions.selectors import analysis_of, problem_actions, survey_summary
from problems.problem_sections import ProblemSectionContext, problem_section, problem_team_section
from problems.workflow import Status
from residents.permissions import Perm, can


@problem_section("approach", "meetings/problem_approach.html", order=0)
def approach(ctx: ProblemSectionContext) -> dict[str, Any]:
    """The analysis (a sensitive problem's for the team only) and the actions with their
    latest progress. Two queries, whatever the number of actions."""
    problem, access = ctx.problem, ctx.access
    if problem.status == Status.NEW:
        return {"approach": False}
    hood = problem.neighbourhood
    analysis = None
    if access.team or not problem.sensitive:
        analysis = analysis_of(problem)
    actions = problem_actions(problem)
    for row in actions:
        row.neighbourhood, row.problem = hood, problem  # their links: no query per row
    actions.sort(key=lambda row: not row.is_active)  # still to be done first
    # Actions are agreed, and the analysis written, for accepted problems that are still open.
    may_plan = problem.is_actionable and can(ctx.request.user, Perm.CREATE_ACTION, hood)
    shown_analysis = analysis if analysis is not None and not analysis.is_empty else None
    return {
        "approach": bool(actions or shown_analysis or may_plan),
        "analysis": shown_analysis,
        "problem_actions": actions,
        "may_plan": may_plan,
    }


@problem_team_section("survey", "meetings/problem_survey.html", order=10)
def survey(ctx: ProblemSectionContext) -> dict[str, Any]:
    """ "Is het beter geworden?": what residents answered after the meeting resolved it."""
    problem = ctx.problem
    if problem.status == Status.RESOLVED or problem.reopened_count:
        return {"survey": survey_summary(problem)}
    return {"survey": None}
