"""A neighbourhood's priority rounds: the round history. The neighbourhood page's call to vote
and summary of the last results are meetings/rounds/sections.py; a round's own results page and
its paper ballot answer by what the person may do at the round's meeting:
meetings/rounds/views/results.py.

Results are public once the round is closed or the chair has shown them in the room
(meetings.rounds.selectors.results_public); before that they are hidden so that early votes do
not steer later ones. Results never name a voter: they are sums per problem and counts of voters.
"""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from meetings.rounds.selectors import neighbourhood_rounds_listed, open_for_votes, results_public
from residents.permissions import Perm, can
from residents.selectors import neighbourhood_or_404

ROUNDS_PER_PAGE = 20


@require_GET
def rounds(request: HttpRequest, slug: str) -> HttpResponse:
    """The neighbourhood's priority rounds, newest first, with what each decided."""
    hood = neighbourhood_or_404(slug)
    team = can(request.user, Perm.RUN_MEETING, hood)
    listed = neighbourhood_rounds_listed(hood, team=team)
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
