"""A neighbourhood's priority rounds: the round history and the neighbourhood page's call to
vote and summary of the last results. A round's own results page and its paper ballot answer by
what the person may do at the round's meeting: meetings/rounds/views/results.py.

Results are public once the round is closed or the chair has shown them in the room
(results_public); before that they are hidden so that early votes do not steer later ones.
Results never name a voter: they are sums per problem and counts of voters.
"""

from __future__ import annotations

from typing import Any

from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from meetings.rounds import services as round_services
from meetings.rounds.models import PriorityRound, RoundCandidate
from residents.models import Neighbourhood
from residents.permissions import Perm, can

RS = PriorityRound.Status
ROUNDS_PER_PAGE = 20
SUMMARY_ROWS = 3  # problems shown in the neighbourhood page's summary of the last round


def results_public(priority_round: PriorityRound) -> bool:
    """Everyone may see the results: the round is closed, or the chair showed them."""
    return priority_round.status == RS.CLOSED or priority_round.results_shown


def open_for_votes(priority_round: PriorityRound) -> bool:
    now = timezone.now()
    return priority_round.status == RS.OPEN and (
        priority_round.closes_at is None or priority_round.closes_at > now
    )


@require_GET
def rounds(request: HttpRequest, slug: str) -> HttpResponse:
    """The neighbourhood's priority rounds, newest first, with what each decided."""
    hood = get_object_or_404(Neighbourhood.objects.select_related("municipality"), slug=slug)
    team = can(request.user, Perm.RUN_MEETING, hood)
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
    page = Paginator(listed, ROUNDS_PER_PAGE).get_page(request.GET.get("page"))
    entries = [
        {
            "round": priority_round,
            "public": results_public(priority_round),
            "open_for_votes": open_for_votes(priority_round),
        }
        for priority_round in page
    ]
    return render(
        request,
        "problems/rounds.html",
        {"neighbourhood": hood, "page": page, "entries": entries, "team": team},
    )


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
