"""A priority round's integrity on PostgreSQL: concurrent ballots, votes racing the close,
people who may not vote, and tampered values.

Every thread has its own database connection (Django's connections are per thread), so these
are real concurrent transactions. With REQUIRE_SERVICES=1 they fail without PostgreSQL.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import connection, connections, transaction
from django.urls import reverse

from meetings.rounds.models import Ballot, BallotPoint, PriorityRound, RoundCandidate
from meetings.rounds.services import (
    BallotInvalid,
    RoundNotOpen,
    ballot_cast,
    round_close,
    round_results,
)
from residents.models import Membership, Neighbourhood, Role, User
from tests.conftest import Personas, make_person
from tests.factories import new_round
from tests.support import candidates_of

TITLES = ("Zwerfvuil bij de glasbak", "Te hard rijden", "Donker fietspad", "Scooters op de stoep")
JOIN_SECONDS = 60


@pytest.fixture(autouse=True)
def _on_postgresql(transactional_db: None, postgres: None) -> None:
    """Committed data that other threads see, on PostgreSQL (else skip, or fail in CI)."""


@pytest.fixture
def round(personas, make_problem) -> PriorityRound:
    return new_round(personas, make_problem, TITLES, days=3)


def residents(personas: Personas, count: int, prefix: str = "Stemmer") -> list[User]:
    users = []
    for n in range(count):
        user = make_person(f"{prefix} {n}", f"{prefix.lower()}{n}@example.nl")
        Membership.objects.create(
            user=user, neighbourhood=personas.hood, role=Role.RESIDENT, status="active"
        )
        users.append(user)
    return users


def casting(round: PriorityRound, voter: User, points: dict[int, int]) -> Callable[[], Any]:
    return partial(ballot_cast, priority_round=round, voter=voter, points=points)


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


def in_thread(job: Callable[[], Any], outcome: dict[str, Any]) -> threading.Thread:
    def run() -> None:
        try:
            outcome["value"] = job()
            outcome["status"] = "ok"
        except Exception as exc:
            outcome["status"], outcome["error"] = "error", exc
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def wait_for_lock_waiter(timeout: float = 20) -> None:
    """Until some session of this database waits for a lock (a vote or close is blocked)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity "
                "WHERE datname = current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
        time.sleep(0.02)
    pytest.fail("no session ever waited for the round's lock")


def stored(round: PriorityRound, voter: User) -> dict[int, int] | None:
    ballot = Ballot.objects.filter(round=round, voter=voter).first()
    if ballot is None:
        return None
    return dict(ballot.points.values_list("candidate_id", "points"))


def version(round: PriorityRound) -> int:
    return PriorityRound.objects.values_list("version", flat=True).get(pk=round.pk)


def valid_ballots(candidates: list[RoundCandidate], budget: int, most: int) -> list[dict[int, int]]:
    """Every different ballot within the budget, with at least one point."""
    ballots = []
    for amounts in itertools.product(range(most + 1), repeat=len(candidates)):
        if 0 < sum(amounts) <= budget:
            ballots.append({c.pk: a for c, a in zip(candidates, amounts, strict=True) if a})
    return ballots


# --- Concurrency ---------------------------------------------------------------------------


def test_fifty_concurrent_ballots_of_one_resident_leave_exactly_one_within_budget(personas, round):
    candidates = candidates_of(round)
    submitted = valid_ballots(candidates, round.points, round.max_per_problem)[::2][:50]
    assert len(submitted) == 50 and len({tuple(sorted(b.items())) for b in submitted}) == 50
    before = version(round)

    outcomes = all_at_once([casting(round, personas.resident, points) for points in submitted])

    assert [status for status, _ in outcomes] == ["ok"] * 50, outcomes
    assert Ballot.objects.filter(round=round, voter=personas.resident).count() == 1
    final = stored(round, personas.resident)
    assert final in submitted
    assert sum(final.values()) <= round.points
    assert max(final.values()) <= round.max_per_problem
    assert BallotPoint.objects.filter(ballot__round=round).count() == len(final)
    assert version(round) == before + 50  # every cast went through the round's lock once
    results = round_results(round)
    assert results.voters_online == 1
    assert {row.candidate.pk: row.online for row in results.rows if row.online} == final


def test_two_residents_voting_at_once_never_lose_a_vote(personas, round):
    first, second, third, _fourth = candidates_of(round)
    for attempt in range(5):
        points_a = {first.pk: 3, second.pk: (attempt % 2) + 1}
        points_b = {third.pk: 2, first.pk: 1 + attempt % 3}
        outcomes = all_at_once(
            [
                casting(round, personas.resident, points_a),
                casting(round, personas.second_resident, points_b),
            ]
        )
        assert [status for status, _ in outcomes] == ["ok", "ok"], outcomes
        assert stored(round, personas.resident) == points_a
        assert stored(round, personas.second_resident) == points_b
        results = round_results(round)
        online = {row.candidate.pk: row.online for row in results.rows}
        assert online[first.pk] == points_a[first.pk] + points_b[first.pk]
        assert results.voters_online == 2


def test_twenty_residents_voting_at_once_are_all_counted(personas, round):
    candidates = candidates_of(round)
    voters = residents(personas, 20)
    ballots = valid_ballots(candidates, round.points, round.max_per_problem)[:20]

    outcomes = all_at_once(
        [casting(round, voter, points) for voter, points in zip(voters, ballots, strict=True)]
    )

    assert [status for status, _ in outcomes] == ["ok"] * 20, outcomes
    for voter, points in zip(voters, ballots, strict=True):
        assert stored(round, voter) == points
    results = round_results(round)
    assert results.voters_online == 20
    for row in results.rows:
        assert row.online == sum(b.get(row.candidate.pk, 0) for b in ballots)


# --- Votes racing the close ---------------------------------------------------------------------


def test_a_vote_arriving_while_the_close_is_being_decided_is_refused(personas, round):
    first, second, *_ = candidates_of(round)
    ballot_cast(priority_round=round, voter=personas.resident, points={first.pk: 3})
    closing, proceed = threading.Event(), threading.Event()

    def close() -> list[RoundCandidate]:
        with transaction.atomic():
            winners = round_close(priority_round=round, by=personas.chair)
            closing.set()
            assert proceed.wait(JOIN_SECONDS)  # hold the round's lock until the vote waits
        return winners

    def vote() -> Any:
        assert closing.wait(JOIN_SECONDS)
        return ballot_cast(
            priority_round=round, voter=personas.second_resident, points={second.pk: 3}
        )

    closed: dict[str, Any] = {}
    voted: dict[str, Any] = {}
    threads = [in_thread(close, closed), in_thread(vote, voted)]
    assert closing.wait(JOIN_SECONDS)
    wait_for_lock_waiter()
    proceed.set()
    for thread in threads:
        thread.join(JOIN_SECONDS)

    assert closed["status"] == "ok", closed
    assert voted["status"] == "error" and isinstance(voted["error"], RoundNotOpen), voted
    assert voted["error"].code == "round_closed"
    assert stored(round, personas.second_resident) is None
    assert [c.pk for c in closed["value"]] == [first.pk]


def test_a_vote_in_flight_when_the_chair_closes_is_counted(personas, round):
    first, second, *_ = candidates_of(round)
    Neighbourhood.objects.filter(pk=personas.hood.pk).update(max_active_priorities=1)
    ballot_cast(priority_round=round, voter=personas.resident, points={first.pk: 2})
    voting, proceed = threading.Event(), threading.Event()

    def vote() -> Any:
        with transaction.atomic():
            ballot = ballot_cast(
                priority_round=round, voter=personas.second_resident, points={second.pk: 3}
            )
            voting.set()
            assert proceed.wait(JOIN_SECONDS)  # not committed until the close waits for it
        return ballot

    def close() -> list[RoundCandidate]:
        assert voting.wait(JOIN_SECONDS)
        return round_close(priority_round=round, by=personas.chair)

    voted: dict[str, Any] = {}
    closed: dict[str, Any] = {}
    threads = [in_thread(vote, voted), in_thread(close, closed)]
    assert voting.wait(JOIN_SECONDS)
    wait_for_lock_waiter()
    proceed.set()
    for thread in threads:
        thread.join(JOIN_SECONDS)

    assert voted["status"] == "ok", voted
    assert closed["status"] == "ok", closed
    # The vote in flight decided it: without it the first problem would have won.
    assert [c.pk for c in closed["value"]] == [second.pk]
    assert stored(round, personas.second_resident) == {second.pk: 3}


def test_votes_racing_the_close_are_counted_or_refused_never_lost(personas, round):
    candidates = candidates_of(round)
    Neighbourhood.objects.filter(pk=personas.hood.pk).update(max_active_priorities=10)
    voters = residents(personas, 15)
    ballots = valid_ballots(candidates, round.points, round.max_per_problem)[5:20]
    seen_at_close: dict[str, Any] = {}

    def close() -> list[RoundCandidate]:
        with transaction.atomic():
            winners = round_close(priority_round=round, by=personas.chair)
            # What the close decided on, read under the round's lock before it commits.
            seen_at_close["rows"] = {
                row.candidate.pk: (row.online, row.paper, row.voters)
                for row in round_results(round).rows
            }
        return winners

    jobs: list[Callable[[], Any]] = [
        casting(round, voter, points) for voter, points in zip(voters[:8], ballots[:8], strict=True)
    ]
    jobs.append(close)
    jobs += [
        casting(round, voter, points) for voter, points in zip(voters[8:], ballots[8:], strict=True)
    ]

    outcomes = all_at_once(jobs)

    close_outcome = outcomes.pop(8)
    assert close_outcome[0] == "ok", close_outcome
    counted = 0
    for voter, points, (status, value) in zip(voters, ballots, outcomes, strict=True):
        if status == "ok":
            assert stored(round, voter) == points
            counted += 1
        else:
            assert isinstance(value, RoundNotOpen), value
            assert value.code == "round_closed"
            assert stored(round, voter) is None
    final = {
        row.candidate.pk: (row.online, row.paper, row.voters) for row in round_results(round).rows
    }
    assert final == seen_at_close["rows"]  # nothing landed after the close decided
    assert round_results(round).voters_online == counted
    winners = {c.pk for c in close_outcome[1]}
    assert winners == {pk for pk, (online, _paper, _voters) in final.items() if online}
    assert (
        set(
            RoundCandidate.objects.filter(round=round, outcome="priority").values_list(
                "pk", flat=True
            )
        )
        == winners
    )


# --- Who may not vote ---------------------------------------------------------------------------


REFUSED = ["outsider", "pending_resident", "wijkagent", "office", "coordinator", "anonymous"]


@pytest.mark.parametrize("persona", REFUSED)
def test_only_resident_members_of_the_neighbourhood_vote_through_the_service(
    personas, round, persona
):
    voter = personas.by_name(persona) or AnonymousUser()
    first = candidates_of(round)[0]
    before = version(round)
    with pytest.raises(BallotInvalid) as refused:
        ballot_cast(priority_round=round, voter=voter, points={first.pk: 2})  # type: ignore[arg-type]
    assert refused.value.code == "not_a_voter"
    assert not Ballot.objects.filter(round=round).exists()
    assert version(round) == before


@pytest.mark.parametrize("persona", REFUSED)
def test_only_resident_members_of_the_neighbourhood_vote_through_the_ballot_page(
    login, personas, round, persona
):
    first = candidates_of(round)[0]
    client = login(personas.by_name(persona))
    url = reverse("rounds:ballot", args=[personas.hood.slug, round.pk])
    before = version(round)
    response = client.post(url, {f"points-{first.pk}": "2"})
    if persona == "anonymous":
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))
    else:
        assert response.status_code in {200, 403}  # the page says why; never "saved"
    assert not Ballot.objects.filter(round=round).exists()
    assert version(round) == before


def test_a_resident_of_this_neighbourhood_votes_through_the_ballot_page(login, personas, round):
    """The counterpart of the refusals above: the same POST by a resident is stored."""
    first = candidates_of(round)[0]
    client = login(personas.resident)
    url = reverse("rounds:ballot", args=[personas.hood.slug, round.pk])
    response = client.post(url, {f"points-{first.pk}": "2"})
    assert response.status_code in {302, 303}
    assert stored(round, personas.resident) == {first.pk: 2}


def test_a_closed_round_refuses_votes_and_keeps_the_ballots(login, personas, round):
    first, second, *_ = candidates_of(round)
    ballot_cast(priority_round=round, voter=personas.resident, points={first.pk: 3})
    round_close(priority_round=round, by=personas.chair)
    before = version(round)
    with pytest.raises(RoundNotOpen) as again:
        ballot_cast(priority_round=round, voter=personas.resident, points={second.pk: 3})
    assert again.value.code == "round_closed"
    with pytest.raises(RoundNotOpen):
        ballot_cast(priority_round=round, voter=personas.second_resident, points={second.pk: 1})
    response = login(personas.resident).post(
        reverse("rounds:ballot", args=[personas.hood.slug, round.pk]), {f"points-{second.pk}": "3"}
    )
    assert response.status_code not in {302, 303}
    assert stored(round, personas.resident) == {first.pk: 3}
    assert stored(round, personas.second_resident) is None
    assert version(round) == before


def test_a_round_past_its_closing_time_refuses_votes(personas, round):
    from django.utils import timezone

    first = candidates_of(round)[0]
    PriorityRound.objects.filter(pk=round.pk).update(closes_at=timezone.now())
    round.refresh_from_db()
    with pytest.raises(RoundNotOpen) as refused:
        ballot_cast(priority_round=round, voter=personas.resident, points={first.pk: 1})
    assert refused.value.code == "round_past_closing"
    assert stored(round, personas.resident) is None


# --- Tampered values ------------------------------------------------------------------------------


@pytest.fixture
def other_round(personas, make_problem) -> PriorityRound:
    return new_round(personas, make_problem, ("Probleem van een andere ronde",), days=40)


def tampered(round: PriorityRound, other: PriorityRound) -> dict[str, dict[Any, Any]]:
    first, second, third, _fourth = candidates_of(round)
    foreign = candidates_of(other)[0]
    return {
        "negative": {first.pk: -1, second.pk: 3},
        "over budget": {first.pk: 3, second.pk: 2, third.pk: 1},
        "over the most on one problem": {first.pk: round.max_per_problem + 1},
        "unknown problem": {first.pk: 1, 999_999: 1},
        "another round's problem": {foreign.pk: 2},
        "not a number": {first.pk: "drie"},
        "not whole": {first.pk: "1.5"},
    }


# Each tampered case and the code the service refuses it with.
REFUSED_WITH = {
    "negative": "points_negative",
    "over budget": "over_budget",
    "over the most on one problem": "points_over_max",
    "unknown problem": "not_in_round",
    "another round's problem": "not_in_round",
    "not a number": "points_not_whole",
    "not whole": "points_not_whole",
}


@pytest.mark.parametrize("case", list(REFUSED_WITH))
def test_tampered_values_are_refused_and_change_nothing(
    as_persona, personas, round, other_round, case
):
    first, second, *_ = candidates_of(round)
    ballot_cast(priority_round=round, voter=personas.resident, points={first.pk: 2, second.pk: 1})
    before = version(round), version(other_round)
    points = tampered(round, other_round)[case]

    with pytest.raises(BallotInvalid) as refused:
        ballot_cast(priority_round=round, voter=personas.resident, points=points)
    assert refused.value.code == REFUSED_WITH[case]
    assert refused.value.messages and all(refused.value.messages)

    response = as_persona("resident").post(
        reverse("rounds:ballot", args=[personas.hood.slug, round.pk]),
        {f"points-{pk}": str(value) for pk, value in points.items()},
    )
    assert response.status_code not in {302, 303}  # not "saved"
    assert 'class="error-summary"' in response.content.decode()  # says what is wrong
    assert stored(round, personas.resident) == {first.pk: 2, second.pk: 1}
    assert not Ballot.objects.filter(round=other_round).exists()
    assert (version(round), version(other_round)) == before
