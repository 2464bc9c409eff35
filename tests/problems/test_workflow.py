"""The status table: every transition, for every actor, is allowed exactly as the table says."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from problems.models import Problem, TimelineEntry
from problems.services import problem_transition
from problems.workflow import MEETING, ROUND, TRANSITIONS, Move, Status, transitions_from
from residents.models import Role
from residents.permissions import COORDINATOR
from tests.factories import PATH_TO

ACTORS = [*Role.values, COORDINATOR, ROUND, MEETING]

# Written out by hand: a change to TRANSITIONS must be a deliberate change here too.
EXPECTED = {
    (Move.ACCEPT, Status.NEW): {"chair", "office"},
    (Move.DECLINE, Status.NEW): {"chair", "office"},
    (Move.NOMINATE, Status.ACCEPTED): {"chair"},
    (Move.PRIORITISE, Status.CANDIDATE): {ROUND},
    (Move.NOT_CHOSEN, Status.CANDIDATE): {ROUND, "chair"},
    (Move.RESOLVE, Status.PRIORITY): {MEETING},
    (Move.PARK, Status.PRIORITY): {"chair"},
    (Move.PARK, Status.ACCEPTED): {"chair"},
    (Move.REOPEN, Status.RESOLVED): {"chair"},
    (Move.REOPEN, Status.PARKED): {"chair"},
    (Move.REOPEN, Status.DECLINED): {"chair"},
    (Move.MERGE, Status.NEW): {"chair"},
    (Move.MERGE, Status.ACCEPTED): {"chair"},
    (Move.MERGE, Status.CANDIDATE): {"chair"},
    (Move.MERGE, Status.PRIORITY): {"chair"},
}


def test_actionable_means_accepted_and_open_and_the_priorities_are_one_status_of_those(
    make_problem,
):
    made = {status: make_problem(status).pk for status in PATH_TO}
    actionable = {Status.ACCEPTED, Status.CANDIDATE, Status.PRIORITY}  # by hand, on purpose
    found = set(Problem.objects.actionable().values_list("pk", flat=True))
    assert found == {made[status] for status in actionable}
    assert set(Problem.objects.priorities().values_list("pk", flat=True)) == {made[Status.PRIORITY]}
    for status, pk in made.items():
        assert Problem.objects.get(pk=pk).is_actionable is (status in actionable), status


def test_the_table_is_what_the_issue_says():
    table = {(t.move, source): set(t.actors) for t in TRANSITIONS for source in t.sources}
    assert table == EXPECTED


@pytest.mark.parametrize("actor", ACTORS)
@pytest.mark.parametrize("status", [s for s in Status if s in PATH_TO])
def test_every_move_from_every_status_for_every_actor(make_problem, personas, status, actor):
    """Allowed moves work and leave one timeline entry; all others are refused, unchanged."""
    for move in Move:
        if move not in {t.move for t in TRANSITIONS}:
            continue
        problem = make_problem(status)
        entries = TimelineEntry.objects.filter(problem=problem).count()
        target = make_problem(Status.ACCEPTED, title="Ander probleem")
        expected = actor in EXPECTED.get((move, status), set())
        kwargs = {
            "problem": problem,
            "move": move,
            "actor": None,
            "actors": {actor},
            "public_note": "Doorverwezen naar de gemeente",
            "into": target,
        }
        if expected:
            entry = problem_transition(**kwargs)
            problem.refresh_from_db()
            assert entry.from_status == status and problem.status == entry.to_status
            assert TimelineEntry.objects.filter(problem=problem).count() == entries + 1
        else:
            with pytest.raises(PermissionDenied):
                problem_transition(**kwargs)
            assert Problem.objects.get(pk=problem.pk).status == status
            assert TimelineEntry.objects.filter(problem=problem).count() == entries


def test_transitions_from_offers_only_what_the_actor_may_do():
    assert [t.move for t in transitions_from(Status.NEW, {"office"})] == [
        Move.ACCEPT,
        Move.DECLINE,
    ]
    assert transitions_from(Status.NEW, {"resident", "professional"}) == []
    assert Move.PRIORITISE not in [t.move for t in transitions_from(Status.CANDIDATE, {"chair"})]


def test_decline_and_park_need_a_public_reason(make_problem):
    problem = make_problem(Status.NEW)
    with pytest.raises(ValidationError):
        problem_transition(problem=problem, move=Move.DECLINE, actor=None, actors={"chair"})
    assert Problem.objects.get(pk=problem.pk).status == Status.NEW
