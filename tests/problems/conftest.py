"""Shared fixtures for the problem register's tests: a factory for problems in any status, one
for priority rounds, and problems planted with private markers."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

import pytest

from meetings.rounds.models import PriorityRound
from problems.models import Category, Problem
from problems.services import problem_report, problem_transition
from problems.workflow import Move, Status
from residents.models import Neighbourhood, User
from tests.factories import PATH_TO, Planted, new_round, plant_markers

MakeProblem = Callable[..., Problem]
MakeRound = Callable[..., PriorityRound]


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


@pytest.fixture
def make_round(personas: Any, make_problem: MakeProblem) -> MakeRound:
    """make_round(candidates=3, *, open=True, days=7): factories.new_round for the personas."""
    return partial(new_round, personas, make_problem)


@pytest.fixture
def planted(personas: Any, make_problem: MakeProblem) -> Planted:
    return plant_markers(personas, make_problem)
