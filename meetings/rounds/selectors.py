"""Reads of priority rounds for their pages: the history, the neighbourhood page's call to vote
and last results, a ballot, the chair's paper ballots and live panel. Writes are
meetings.rounds.services (whose round_results and places_free the pages read too).

Results are public once the round is closed or the chair has shown them in the room
(results_public); before that they are hidden so that early votes do not steer later ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from meetings.planning.models import Meeting
from meetings.rounds import services as round_services
from meetings.rounds.models import Ballot, BallotPoint, PriorityRound, RoundCandidate
from problems.models import Problem
from problems.workflow import Status
from residents.models import Coordinator, Membership, Neighbourhood, Role, User
from residents.permissions import COORDINATOR, RULES, Perm

RS = PriorityRound.Status
SUMMARY_ROWS = 3  # problems shown in the neighbourhood page's summary of the last round
SEARCH_LIMIT = 20  # residents found by name on the paper ballot page


def results_public(priority_round: PriorityRound) -> bool:
    """Everyone may see the results: the round is closed, or the chair showed them. No query."""
    return priority_round.status == RS.CLOSED or priority_round.results_shown


def open_for_votes(priority_round: PriorityRound) -> bool:
    """The round is open and its closing time, if any, has not passed. No query."""
    now = timezone.now()
    return priority_round.status == RS.OPEN and (
        priority_round.closes_at is None or priority_round.closes_at > now
    )


def neighbourhood_rounds_listed(hood: Neighbourhood, *, team: bool) -> QuerySet[PriorityRound]:
    """The neighbourhood's rounds, newest first, with their counts and winners (drafts only for
    the team). Lazy: a page of it is one query, plus one for its winners."""
    listed = (
        PriorityRound.objects.for_neighbourhood(hood)
        .select_related("meeting")
        .annotate(
            voters=Count("ballots", distinct=True),
            candidate_count=Count("candidates", distinct=True),
        )
        .prefetch_related(
            Prefetch(
                "candidates",
                queryset=RoundCandidate.objects.filter(outcome=RoundCandidate.Outcome.PRIORITY)
                .select_related("problem__category")
                .order_by("position", "pk"),
                to_attr="winners",
            )
        )
        .order_by("-meeting__starts_at", "-pk")
    )
    if not team:
        listed = listed.exclude(status=RS.DRAFT)
    return listed


def neighbourhood_rounds(hood: Neighbourhood) -> dict[str, Any]:
    """For the neighbourhood page: the round open for votes (of the first meeting to come) and
    the latest closed round with a summary of its results. One query, plus two for the
    summary when there is a closed round."""
    by_date = ("-meeting__starts_at", "-pk")
    latest_open = (
        PriorityRound.objects.for_neighbourhood(hood)
        .filter(status=RS.OPEN)
        .filter(Q(closes_at__isnull=True) | Q(closes_at__gt=timezone.now()))
        .order_by("meeting__starts_at", "pk")  # the vote that closes first
        .values("pk")[:1]
    )
    latest_closed = (
        PriorityRound.objects.for_neighbourhood(hood)
        .filter(status=RS.CLOSED)
        .order_by(*by_date)
        .values("pk")[:1]
    )
    found = list(
        PriorityRound.objects.filter(Q(pk__in=latest_open) | Q(pk__in=latest_closed))
        .select_related("meeting")
        .order_by(*by_date)
    )
    open_round = next((r for r in found if r.status == RS.OPEN), None)
    closed_round = next((r for r in found if r.status == RS.CLOSED), None)
    summary = None
    if closed_round is not None:
        results = round_services.round_results(closed_round)
        summary = {
            "round": closed_round,
            "results": results,
            "top": [row for row in results.rows if row.total > 0][:SUMMARY_ROWS],
        }
    return {"open_round": open_round, "last_results": summary}


def eligible_problems(priority_round: PriorityRound) -> QuerySet[Problem]:
    """Public problems of the neighbourhood that can go on the ballot and are not on it yet.
    Lazy: one query."""
    return (
        Problem.objects.for_neighbourhood(priority_round.neighbourhood_id)
        .public()
        .filter(status__in=[Status.ACCEPTED, Status.CANDIDATE])
        .exclude(round_entries__round=priority_round)
        .select_related("category")
        .order_by("-support_count", "pk")
    )


def ballot_candidates(priority_round: PriorityRound) -> list[RoundCandidate]:
    """The ballot in its order, with what its labels show; each shares the round (one query)."""
    rows = list(
        RoundCandidate.objects.filter(round=priority_round)
        .select_related("problem__category")
        .order_by("position", "pk")
    )
    for row in rows:
        row.round = priority_round
    return rows


@dataclass
class StoredBallot:
    """A person's stored ballot in a round: {candidate id: points} and its source."""

    points: dict[int, int]
    source: str = ""

    @property
    def on_paper(self) -> bool:
        return self.source == Ballot.Source.PAPER


def stored_ballot(priority_round: PriorityRound, voter: User) -> StoredBallot:
    """The voter's points in this round, and whether they were given online or on paper (one
    query; no points: an empty ballot)."""
    rows = BallotPoint.objects.filter(
        ballot__round=priority_round, ballot__voter=voter
    ).values_list("candidate_id", "points", "ballot__source")
    mine = StoredBallot(points={})
    for candidate_id, points, source in rows:
        mine.points[candidate_id] = points
        mine.source = source
    return mine


def ballot_with_points(priority_round: PriorityRound, voter: User) -> Ballot | None:
    """The voter's ballot in this round with its points (one query, two when there is one)."""
    return (
        Ballot.objects.filter(round=priority_round, voter=voter).prefetch_related("points").first()
    )


def paper_ballots(priority_round: PriorityRound) -> list[Ballot]:
    """The round's paper ballots by voter's name, with only what the list shows (one query)."""
    return list(
        Ballot.objects.filter(round=priority_round, source=Ballot.Source.PAPER)
        .select_related("voter")
        .only("voter__display_name", "updated_at", "round_id")
        .order_by("voter__display_name", "pk")
    )


def resident_members(neighbourhood: Neighbourhood) -> QuerySet[User]:
    """Residents with an active membership here, paper residents included: the people who vote.
    Lazy."""
    return User.objects.filter(
        is_active=True,
        memberships__neighbourhood=neighbourhood,
        memberships__status=Membership.Status.ACTIVE,
        memberships__role=Role.RESIDENT,
    ).distinct()


def resident_member(neighbourhood: Neighbourhood, pk: int) -> User | None:
    """The resident member here with this primary key, if there is one (one query)."""
    return resident_members(neighbourhood).filter(pk=pk).first()


def voters_found(
    hood: Neighbourhood, words: list[str], priority_round: PriorityRound
) -> tuple[list[dict[str, Any]], bool]:
    """Resident members whose name has every word, with how they voted in this round, and
    whether there are more than SEARCH_LIMIT (two queries; none without words)."""
    if not words:
        return [], False
    people = resident_members(hood)
    for word in words:
        people = people.filter(display_name__icontains=word)
    found = list(people.order_by("display_name", "pk")[: SEARCH_LIMIT + 1])
    sources = dict(
        Ballot.objects.filter(round=priority_round, voter__in=[p.pk for p in found]).values_list(
            "voter_id", "source"
        )
    )
    rows = [
        {"user": person, "paper": person.is_paper_resident, "voted": sources.get(person.pk, "")}
        for person in found[:SEARCH_LIMIT]
    ]
    return rows, len(found) > SEARCH_LIMIT


def live_panel_state(user: Any, slug: str, pk: int) -> tuple[int | None, bool] | None:
    """(the round's version or None, may this user run the meeting) in one query; None when
    there is no such meeting. The same rule as meetings.access.access_to(...).run: a runner's
    role here (or coordinator of the municipality), or this meeting's own chair or
    minute-taker while still a member."""
    allowed = RULES[Perm.RUN_MEETING]
    member = Membership.objects.active().filter(
        user=user.pk, neighbourhood=OuterRef("neighbourhood")
    )
    coordinates = Coordinator.objects.filter(
        user=user.pk, municipality=OuterRef("neighbourhood__municipality")
    )
    row = (
        Meeting.objects.filter(pk=pk, neighbourhood__slug=slug)
        .annotate(
            round_version=Subquery(
                PriorityRound.objects.filter(meeting=OuterRef("pk")).values("version")[:1]
            ),
            runner=Exists(member.filter(role__in=allowed - {COORDINATOR})),
            is_member=Exists(member),
            coordinator=Exists(coordinates),
            own=Q(chair=user.pk) | Q(minute_taker=user.pk),
        )
        .values_list("round_version", "runner", "is_member", "coordinator", "own")
        .first()
    )
    if row is None:
        return None
    version, runner, is_member, coordinator, own = row
    may_coordinate = COORDINATOR in allowed and bool(coordinator)
    return version, bool(runner) or may_coordinate or (bool(own) and (is_member or coordinator))
