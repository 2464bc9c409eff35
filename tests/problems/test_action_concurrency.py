"""Actions under concurrent use, on PostgreSQL: residents signing up at the same moment, one
resident tapping many times, two people posting on the same version of an action, a double
submit racing itself, and the room's judgement recorded twice at once.

Every thread has its own database connection (Django's connections are per thread) and its
own copy of the action, as separate requests would: these are real concurrent transactions.
With REQUIRE_SERVICES=1 they fail without PostgreSQL.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connections
from django.utils import timezone

from meetings.actions.models import Action, ActionStatus, ActionUpdate, Judgement, Volunteer
from meetings.actions.services import (
    ActionConflict,
    action_create,
    action_progress_post,
    judgement_record,
    volunteer_sign_up,
    volunteer_withdraw,
)
from meetings.services import meeting_create
from problems.models import Problem
from problems.workflow import Status
from residents.models import Membership, Role, User
from tests.conftest import Personas, make_person

pytestmark = pytest.mark.django_db(transaction=True)
AS = ActionStatus
JOIN_SECONDS = 60


@pytest.fixture(autouse=True)
def _on_postgresql(postgres: None) -> None:
    """Committed data that other threads see, on PostgreSQL (else skip, or fail in CI)."""


def all_at_once(jobs: list[Callable[[], Any]]) -> list[tuple[str, Any]]:
    """Run the jobs in threads released together; ("ok", value) or ("error", exception)."""
    barrier = threading.Barrier(len(jobs))
    outcomes: list[tuple[str, Any]] = [("not run", None)] * len(jobs)

    def run(index: int, job: Callable[[], Any]) -> None:
        try:
            barrier.wait(timeout=JOIN_SECONDS)
            outcomes[index] = ("ok", job())
        except Exception as exc:
            outcomes[index] = ("error", exc)
        finally:
            connections.close_all()  # this thread's own connection

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=JOIN_SECONDS)
    assert not any(thread.is_alive() for thread in threads), "a thread hung"
    return outcomes


def residents(personas: Personas, count: int, prefix: str = "Helper") -> list[User]:
    users = []
    for n in range(count):
        user = make_person(f"{prefix} {n}", f"{prefix.lower()}{n}@example.nl")
        Membership.objects.create(
            user=user, neighbourhood=personas.hood, role=Role.RESIDENT, status="active"
        )
        users.append(user)
    return users


def agree(personas: Personas, problem: Problem, **values: Any) -> Action:
    values = {
        "actor": personas.chair,
        "role": Role.CHAIR,
        "outcome": "Buurtschoonmaak rond de glasbak op zaterdag",
        "due_date": timezone.localdate() + timedelta(days=14),
        "owner_organisation": None,
        **values,
    }
    return action_create(problem=problem, **values)


@pytest.fixture
def problem(make_problem) -> Problem:
    return make_problem(Status.PRIORITY)


def signing_up(action: Action, user: User) -> Callable[[], bool]:
    # A request of its own: its own copy of the action.
    return lambda: volunteer_sign_up(action=Action.objects.get(pk=action.pk), user=user)


def withdrawing(action: Action, user: User) -> Callable[[], bool]:
    return lambda: volunteer_withdraw(action=Action.objects.get(pk=action.pk), user=user)


def statuses(outcomes: list[tuple[str, Any]]) -> list[str]:
    return [status for status, _value in outcomes]


def volunteers_update_count(action: Action) -> int:
    return ActionUpdate.objects.filter(action=action, kind=ActionUpdate.Kind.VOLUNTEERS).count()


# --- Volunteers ---------------------------------------------------------------------------------


def test_twenty_residents_signing_up_at_once_make_it_open_exactly_once(personas, problem):
    action = agree(personas, problem, volunteers_needed=20)
    people = residents(personas, 20)

    outcomes = all_at_once([signing_up(action, person) for person in people])

    assert outcomes == [("ok", True)] * 20
    stored = Action.objects.get(pk=action.pk)
    assert Volunteer.objects.filter(action=action).count() == 20
    assert set(Volunteer.objects.values_list("user_id", flat=True)) == {p.pk for p in people}
    assert stored.volunteer_count == 20
    assert stored.status == AS.OPEN
    assert volunteers_update_count(action) == 1
    assert stored.version == 1 + 20  # every sign-up went through the action's lock


def test_more_residents_than_needed_at_once_all_count_and_open_it_once(personas, problem):
    action = agree(personas, problem, volunteers_needed=5)
    people = residents(personas, 12)

    outcomes = all_at_once([signing_up(action, person) for person in people])

    assert outcomes == [("ok", True)] * 12
    stored = Action.objects.get(pk=action.pk)
    assert stored.volunteer_count == Volunteer.objects.filter(action=action).count() == 12
    assert stored.status == AS.OPEN
    assert volunteers_update_count(action) == 1


def test_one_resident_tapping_ten_times_at_once_is_one_volunteer(personas, problem):
    action = agree(personas, problem, volunteers_needed=4)

    outcomes = all_at_once([signing_up(action, personas.resident) for _ in range(10)])

    assert statuses(outcomes) == ["ok"] * 10, outcomes
    assert sorted(value for _status, value in outcomes) == [False] * 9 + [True]
    stored = Action.objects.get(pk=action.pk)
    assert Volunteer.objects.filter(action=action, user=personas.resident).count() == 1
    assert stored.volunteer_count == 1
    assert stored.status == AS.WAITING
    assert volunteers_update_count(action) == 0


def test_signing_up_and_withdrawing_at_once_keep_the_count_right(personas, problem):
    action = agree(personas, problem, volunteers_needed=30)
    leaving = residents(personas, 8, prefix="Leaver")
    joining = residents(personas, 8, prefix="Joiner")
    for person in leaving:
        assert volunteer_sign_up(action=action, user=person)

    jobs = [withdrawing(action, p) for p in leaving] + [signing_up(action, p) for p in joining]
    outcomes = all_at_once(jobs)

    assert outcomes == [("ok", True)] * 16
    stored = Action.objects.get(pk=action.pk)
    assert set(Volunteer.objects.filter(action=action).values_list("user_id", flat=True)) == {
        p.pk for p in joining
    }
    assert stored.volunteer_count == 8


# --- Writes on the same version -----------------------------------------------------------------


def test_posts_on_the_same_version_at_once_let_exactly_one_through(personas, problem):
    action = agree(personas, problem, owner_organisation=personas.police)
    shown = action.version

    def posting(n: int) -> Callable[[], Any]:
        return lambda: action_progress_post(
            action=Action.objects.get(pk=action.pk),
            actor=personas.wijkagent,
            role=Role.PROFESSIONAL,
            text=f"Gesprek {n} gehad",
            version=shown,
        )

    outcomes = all_at_once([posting(n) for n in range(8)])

    assert statuses(outcomes).count("ok") == 1, outcomes
    errors = [value for status, value in outcomes if status == "error"]
    assert len(errors) == 7 and all(isinstance(e, ActionConflict) for e in errors), errors
    stored = Action.objects.get(pk=action.pk)
    progress = ActionUpdate.objects.filter(action=action, kind=ActionUpdate.Kind.PROGRESS)
    assert progress.count() == 1
    (winner,) = [value for status, value in outcomes if status == "ok"]
    assert progress.get().pk == winner.pk
    assert stored.status == AS.IN_PROGRESS
    assert ActionUpdate.objects.filter(action=action, kind=ActionUpdate.Kind.STATUS).count() == 1


def test_a_double_submit_racing_itself_agrees_one_action(personas, problem):
    outcomes = all_at_once(
        [lambda: agree(personas, Problem.objects.get(pk=problem.pk)) for _ in range(6)]
    )

    assert statuses(outcomes) == ["ok"] * 6, outcomes
    assert len({action.pk for _status, action in outcomes}) == 1
    assert Action.objects.count() == 1
    assert ActionUpdate.objects.filter(kind=ActionUpdate.Kind.AGREED).count() == 1


def test_the_rooms_judgement_recorded_twice_at_once_is_one_judgement(personas, problem):
    action = agree(personas, problem, owner_organisation=personas.police)
    starts = timezone.now() + timedelta(days=1)
    meeting = meeting_create(
        neighbourhood=personas.hood,
        starts_at=starts,
        ends_at=starts + timedelta(hours=2),
        place="Buurthuis De Linde",
    )

    def judging(effect: str) -> Callable[[], Judgement]:
        return lambda: judgement_record(
            action=Action.objects.get(pk=action.pk),
            meeting=meeting,
            actor=personas.chair,
            effect=effect,
            verdict="close",
        )

    outcomes = all_at_once([judging("better"), judging("same"), judging("worse")])

    assert statuses(outcomes) == ["ok"] * 3, outcomes
    judgement = Judgement.objects.get(action=action, meeting=meeting)
    # The last one to take the lock wins; the history keeps every recording.
    judged = ActionUpdate.objects.filter(action=action, kind=ActionUpdate.Kind.JUDGED)
    assert judged.count() == 3
    assert judged.latest("pk").effect == judgement.effect
    stored = Action.objects.get(pk=action.pk)
    assert stored.status == AS.DONE
    assert ActionUpdate.objects.filter(action=action, kind=ActionUpdate.Kind.STATUS).count() == 1
