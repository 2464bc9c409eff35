"""Who may see what of a problem: the one helper every problem view fetches through.

    problem, access = problem_for(request, slug, pk)

404 when the problem is not in that neighbourhood or not visible to this person (a new report
is visible only to its reporter and the team), so nobody learns that it exists.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import Http404
from django.shortcuts import get_object_or_404

from problems.models import Problem
from problems.workflow import Transition, transitions_from
from residents.models import Neighbourhood
from residents.permissions import Perm, can, roles_in


@dataclass(frozen=True)
class Access:
    """What the current person may see and do with one problem (or in one neighbourhood)."""

    roles: frozenset[str]
    team: bool  # sees new reports, reporters and confidential details (logged)
    can_report: bool
    can_support: bool
    can_edit: bool
    can_confirm_chronic: bool
    is_reporter: bool = False

    def moves(self, problem: Problem) -> list[Transition]:
        """The status changes this person may make now (never the round's or meeting's)."""
        return transitions_from(problem.status, self.roles)

    def may_support(self, problem: Problem) -> bool:
        return self.can_support and problem.is_actionable

    def may_confirm_chronic(self, problem: Problem) -> bool:
        """Perm.CONFIRM_CHRONIC, for an accepted, open problem not confirmed yet."""
        return (
            self.can_confirm_chronic
            and problem.is_actionable
            and problem.chronic_confirmed_at is None
        )

    def sees_reporter(self, problem: Problem) -> bool:
        """The one reporter rule: the team and the reporter always; logged-in members of this
        neighbourhood only if the reporter agreed and the problem is not sensitive; nobody
        else (so never anonymous visitors, and never PDFs, mail, the projector or the API,
        which have no Access)."""
        if self.team or self.is_reporter:
            return True
        return bool(self.roles) and problem.reporter_name_public and not problem.sensitive


def access_in(user: Any, neighbourhood: Neighbourhood) -> Access:
    return Access(
        roles=roles_in(user, neighbourhood),
        team=can(user, Perm.VIEW_CONFIDENTIAL, neighbourhood),
        can_report=can(user, Perm.REPORT_PROBLEM, neighbourhood),
        can_support=can(user, Perm.SUPPORT_PROBLEM, neighbourhood),
        can_edit=can(user, Perm.EDIT_PROBLEM, neighbourhood),
        can_confirm_chronic=can(user, Perm.CONFIRM_CHRONIC, neighbourhood),
    )


def problem_for(request: Any, slug: str, pk: int) -> tuple[Problem, Access]:
    problem = get_object_or_404(
        Problem.objects.select_related(
            "neighbourhood__municipality", "category", "merged_into__neighbourhood"
        ),
        pk=pk,
        neighbourhood__slug=slug,
    )
    access = access_in(request.user, problem.neighbourhood)
    is_reporter = request.user.is_authenticated and problem.reporter_id == request.user.pk
    if not (problem.is_public or access.team or is_reporter):
        raise Http404
    if is_reporter:
        access = Access(**{**access.__dict__, "is_reporter": True})
    return problem, access
