"""A property of priority rounds: whatever happens — online ballots cast and changed, paper
ballots entered, ballots withdrawn, hands counted and cleared, problems taken off the ballot,
refused attempts in between — the results are always the sum of the stored ballot points per
problem and source, plus the hands counted, and the voter counts match the stored ballots.

Hypothesis drives random sequences of steps against the real services and checks the results
after every step, against the stored rows and against a simple model of what should be there.
"""

from __future__ import annotations

from collections import Counter
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from meetings.rounds.models import Ballot, HandCount, PriorityRound
from meetings.rounds.services import (
    BallotInvalid,
    ballot_cast,
    hand_count_set,
    round_candidate_remove,
    round_create,
    round_open,
    round_results,
)
from meetings.services import meeting_create
from problems.workflow import Status
from residents.models import User

ONLINE, PAPER = Ballot.Source.ONLINE, Ballot.Source.PAPER
CANDIDATES = 4
TITLES = [f"Probleem {n}" for n in range(CANDIDATES)]


class RoundMachine(RuleBasedStateMachine):
    """One open round; each run starts without ballots and is rolled back at the end."""

    def __init__(self, round: PriorityRound, voters: list[User], team: Any) -> None:
        super().__init__()
        self.round = round
        # Fresh objects each run: taking a candidate off the ballot deletes the object.
        self.candidates = list(round.candidates.order_by("position", "pk"))
        candidates = self.candidates
        self.ids = [c.pk for c in candidates]
        self.voters = voters  # the last one may not vote (a professional)
        self.chair = team
        self.atomic = transaction.atomic()
        self.atomic.__enter__()  # a savepoint: teardown rolls this run back
        # The model: voter index -> (source, {candidate id: points}); candidate id -> hands.
        self.ballots: dict[int, tuple[str, dict[int, int]]] = {}
        self.hands: dict[int, int] = {}
        self.on_ballot = {c.pk for c in candidates}
        self.refused = 0

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self.atomic.__exit__(None, None, None)

    # --- what the model expects ---------------------------------------------------------------

    def expect(self, voter: int, source: str, points: dict[int, int]) -> bool:
        """Apply a cast to the model if the services should accept it; False if refused."""
        clean = {pk: amount for pk, amount in points.items() if amount}
        if any(amount and pk not in self.on_ballot for pk, amount in points.items()):
            return False  # points for a problem not (or no longer) on the ballot
        if any(amount < 0 or amount > self.round.max_per_problem for amount in points.values()):
            return False
        if sum(clean.values()) > self.round.points:
            return False
        if voter == len(self.voters) - 1:  # the professional
            return False
        existing = self.ballots.get(voter)
        if existing is not None and existing[0] != source:
            return False
        if clean:
            self.ballots[voter] = (source, clean)
        else:
            self.ballots.pop(voter, None)
        return True

    def cast(self, voter: int, source: str, points: dict[int, int]) -> None:
        accepted = self.expect(voter, source, points)
        try:
            ballot_cast(
                priority_round=self.round,
                voter=self.voters[voter],
                points=points,
                source=source,
                entered_by=self.chair if source == PAPER else None,
            )
        except BallotInvalid:
            assert not accepted, f"refused, but the model accepts {source} {points}"
            self.refused += 1
        else:
            assert accepted, f"accepted, but the model refuses {source} {points}"

    # --- steps -----------------------------------------------------------------------------------

    def points(self, data: st.DataObject) -> dict[int, int]:
        ids = self.ids  # a candidate taken off the ballot may come up: refused
        return data.draw(
            st.dictionaries(st.sampled_from(ids), st.integers(-1, 4), max_size=CANDIDATES),
            label="points",
        )

    @rule(voter=st.integers(0, 4), data=st.data())
    def vote_online(self, voter: int, data: st.DataObject) -> None:
        """Cast or change an online ballot (sometimes over budget or with bad values)."""
        self.cast(voter, ONLINE, self.points(data))

    @rule(voter=st.integers(0, 4), data=st.data())
    def enter_paper_ballot(self, voter: int, data: st.DataObject) -> None:
        self.cast(voter, PAPER, self.points(data))

    @rule(voter=st.integers(0, 4), source=st.sampled_from([ONLINE, PAPER]))
    def withdraw(self, voter: int, source: str) -> None:
        self.cast(voter, source, {})

    @rule(index=st.integers(0, CANDIDATES - 1), hands=st.none() | st.integers(0, 40))
    def count_hands(self, index: int, hands: int | None) -> None:
        candidate = self.candidates[index]
        if candidate.pk is None:  # taken off the ballot
            return
        hand_count_set(priority_round=self.round, candidate=candidate, hands=hands, by=self.chair)
        if hands is None:
            self.hands.pop(candidate.pk, None)
        else:
            self.hands[candidate.pk] = hands

    @rule(index=st.integers(0, CANDIDATES - 1))
    def take_off_the_ballot(self, index: int) -> None:
        """The chair removes a problem: its points return to the voters' budgets."""
        candidate = self.candidates[index]
        if candidate.pk is None or len(self.on_ballot) == 1:
            return
        pk = candidate.pk  # deleting the candidate clears the object's pk
        round_candidate_remove(candidate=candidate, by=self.chair, reason="Dubbel gemeld")
        self.on_ballot.discard(pk)
        self.hands.pop(pk, None)
        for voter, (_source, points) in list(self.ballots.items()):
            points.pop(pk, None)
            if not points:
                del self.ballots[voter]

    # --- the property --------------------------------------------------------------------------

    @invariant()
    def results_are_the_sum_of_the_stored_ballots_plus_hands(self) -> None:
        results = round_results(self.round)
        stored: dict[int, tuple[str, dict[int, int]]] = {}
        sums: Counter[tuple[int, str]] = Counter()
        voters: Counter[int] = Counter()
        index = {user.pk: n for n, user in enumerate(self.voters)}
        for ballot in Ballot.objects.filter(round=self.round).prefetch_related("points"):
            points = {p.candidate_id: p.points for p in ballot.points.all()}
            assert points, "a ballot without points would count as a voter"
            assert sum(points.values()) <= self.round.points
            assert max(points.values()) <= self.round.max_per_problem
            stored[index[ballot.voter_id]] = (ballot.source, points)
            for candidate, amount in points.items():
                sums[candidate, ballot.source] += amount
                voters[candidate] += 1
        hands = dict(
            HandCount.objects.filter(round=self.round).values_list("candidate_id", "hands")
        )
        # The stored rows are what the model accepted ...
        assert stored == self.ballots
        assert hands == self.hands
        # ... and the results are their sums per problem and source, with the hands apart.
        assert {row.candidate.pk for row in results.rows} == self.on_ballot
        for row in results.rows:
            pk = row.candidate.pk
            assert row.online == sums[pk, ONLINE]
            assert row.paper == sums[pk, PAPER]
            assert row.hands == hands.get(pk)
            assert row.voters == voters[pk]
            assert row.total == row.online + row.paper + (row.hands or 0)
        totals = [row.total for row in results.rows]
        assert totals == sorted(totals, reverse=True)
        sources = Counter(source for source, _points in stored.values())
        assert (results.voters_online, results.voters_paper) == (sources[ONLINE], sources[PAPER])


def test_results_always_equal_the_stored_ballots_plus_hand_counts(personas, make_problem):
    for title in TITLES:
        make_problem(Status.CANDIDATE, title=title)
    starts = timezone.now() + timedelta(days=3)
    meeting = meeting_create(
        neighbourhood=personas.hood, starts_at=starts, ends_at=starts + timedelta(hours=2), place=""
    )
    round = round_open(priority_round=round_create(meeting=meeting))
    assert round.candidates.count() == CANDIDATES
    voters = [
        personas.resident,
        personas.second_resident,
        personas.paper_resident,
        personas.minute_taker,
        personas.wijkagent,  # refused: professionals do not vote
    ]

    class ThisRound(RoundMachine):
        def __init__(self) -> None:
            super().__init__(round, voters, personas.chair)

    run_state_machine_as_test(
        ThisRound,
        settings=settings(
            max_examples=30,
            stateful_step_count=20,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow],
        ),
    )
