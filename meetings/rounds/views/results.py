"""A priority round's published results and its printable paper ballot: pages about a round
that answer by what the person may do at its meeting (meetings.access). The round history is
meetings/rounds/views/history.py, the neighbourhood page's summary meetings/rounds/sections.py.

Results are public once the round is closed or the chair has shown them in the room; before
that they are hidden (404) so that early votes do not steer later ones, and the team that runs
the meeting sees them with a note that they are hidden. Results never name a voter: they are
sums per problem and counts of voters.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from buurtoverleg.http import AuthenticatedHttpRequest
from meetings.access import MeetingAccess, access_to
from meetings.rounds import services as round_services
from meetings.rounds.models import PriorityRound
from meetings.rounds.pdf import ballot_paper_pdf
from meetings.rounds.selectors import open_for_votes, results_public
from residents.models import Role


def round_for(
    request: HttpRequest, slug: str, round_pk: int
) -> tuple[PriorityRound, MeetingAccess]:
    """The round named in the URL, with what this person may do at its meeting; 404 if not
    there."""
    priority_round = get_object_or_404(
        PriorityRound.objects.for_page(), pk=round_pk, neighbourhood__slug=slug
    )
    priority_round.meeting.neighbourhood = priority_round.neighbourhood
    return priority_round, access_to(request.user, priority_round.meeting)


@dataclass(frozen=True)
class Bar:
    """One result row as the page draws it: widths in percent of the highest total."""

    row: round_services.ResultRow
    ballots_pct: int
    hands_pct: int


def bars(results: round_services.Results) -> list[Bar]:
    top = results.top
    drawn = []
    for row in results.rows:
        ballots = round(100 * row.ballots / top) if top else 0
        hands = round(100 * (row.hands or 0) / top) if top else 0
        drawn.append(Bar(row=row, ballots_pct=ballots, hands_pct=min(hands, 100 - ballots)))
    return drawn


@require_GET
def round_results(request: HttpRequest, slug: str, round_pk: int) -> HttpResponse:
    """A round's results: public once closed or shown; the team sees them before, marked."""
    priority_round, access = round_for(request, slug, round_pk)
    public = results_public(priority_round)
    if not public and not access.run:
        raise Http404
    results = round_services.round_results(priority_round)
    response = render(
        request,
        "problems/round_results.html",
        {
            "neighbourhood": priority_round.neighbourhood,
            "round": priority_round,
            "meeting": priority_round.meeting,
            "results": results,
            "bars": bars(results),
            "hands_counted": any(row.hands is not None for row in results.rows),
            "public": public,
            "open_for_votes": open_for_votes(priority_round),
            "may_print": access.run or Role.OFFICE in access.roles,
        },
    )
    if not public:
        response.headers["Cache-Control"] = "private, no-store"
    return response


@never_cache
@login_required
@require_GET
def round_ballot_pdf(request: AuthenticatedHttpRequest, slug: str, round_pk: int) -> HttpResponse:
    """The printable A4 paper ballot, for the team that runs the meeting and the office."""
    priority_round, access = round_for(request, slug, round_pk)
    if not (access.run or Role.OFFICE in access.roles):
        raise PermissionDenied
    day = timezone.localtime(priority_round.meeting.starts_at).date()
    filename = f"stembiljet-{priority_round.neighbourhood.slug}-{day:%Y-%m-%d}.pdf"
    return HttpResponse(
        ballot_paper_pdf(priority_round=priority_round),
        content_type="application/pdf",
        headers={"Content-Disposition": content_disposition_header(False, filename)},
    )
