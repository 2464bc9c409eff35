"""Shared fixtures for the problem register's tests: a factory for problems in any status."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from problems.models import Category, Problem
from problems.services import problem_report, problem_transition
from problems.workflow import MEETING, ROUND, Move, Status
from residents.models import Neighbourhood, User

# The moves that bring a new report to each status, and who makes them.
PATH_TO: dict[str, list[tuple[Move, set[str]]]] = {
    Status.NEW: [],
    Status.ACCEPTED: [(Move.ACCEPT, {"chair"})],
    Status.DECLINED: [(Move.DECLINE, {"chair"})],
    Status.CANDIDATE: [(Move.ACCEPT, {"chair"}), (Move.NOMINATE, {"chair"})],
    Status.PRIORITY: [
        (Move.ACCEPT, {"chair"}),
        (Move.NOMINATE, {"chair"}),
        (Move.PRIORITISE, {ROUND}),
    ],
    Status.RESOLVED: [
        (Move.ACCEPT, {"chair"}),
        (Move.NOMINATE, {"chair"}),
        (Move.PRIORITISE, {ROUND}),
        (Move.RESOLVE, {MEETING}),
    ],
    Status.PARKED: [(Move.ACCEPT, {"chair"}), (Move.PARK, {"chair"})],
}

MakeProblem = Callable[..., Problem]


@pytest.fixture
def make_problem(personas: Any) -> MakeProblem:
    """make_problem(status="accepted", reporter=personas.resident, category="zwerfvuil", ...)"""

    def _make(
        status: str = Status.ACCEPTED,
        *,
        reporter: User | None = None,
        neighbourhood: Neighbourhood | None = None,
        category: str = "zwerfvuil",
        title: str = "Zwerfvuil bij de glasbak",
        description: str = "Elke maandag ligt er afval naast de glasbak.",
        street: str = "Marshalllaan",
        **fields: Any,
    ) -> Problem:
        problem = problem_report(
            neighbourhood=neighbourhood or personas.hood,
            reporter=reporter or personas.resident,
            category=Category.objects.get(slug=category),
            title=title,
            description=description,
            street=street,
            **fields,
        )
        for move, actors in PATH_TO[status]:
            problem_transition(
                problem=problem,
                move=move,
                actor=personas.chair if "chair" in actors else None,
                actors=actors,
                public_note="Reden" if move in (Move.DECLINE, Move.PARK) else "",
            )
        problem.refresh_from_db()
        return problem

    return _make
