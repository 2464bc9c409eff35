"""Published results of priority rounds, a neighbourhood's round history, and the printable
paper ballot.

Results are public once the round is closed or the chair has shown them in the room; before
that they are hidden (404) so that early votes do not steer later ones, and the team that runs
the meeting sees them with a note that they are hidden. Results never name a voter: they are
sums per problem and counts of voters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from buurtoverleg.http import AuthenticatedHttpRequest
from meetings.access import MeetingAccess, access_to
from problems import round_services
from problems.ballot_pdf import ballot_paper_pdf
from problems.models import PriorityRound, RoundCandidate
from residents.models import Neighbourhood, Role
from residents.permissions import Perm, can

RS = PriorityRound.Status
ROUNDS_PER_PAGE = 20
SUMMARY_ROWS = 3  # problems shown in the neighbourhood page's summary of the last round


def results_public(round: PriorityRound) -> bool:
    """Everyone may see the results: the round is closed, or the chair showed them."""
    return round.status == RS.CLOSED or round.results_shown


def open_for_votes(round: PriorityRound) -> bool:
    now = timezone.now()
    return round.status == RS.OPEN and (round.closes_at is None or round.closes_at > now)


def round_for(
    request: HttpRequest, slug: str, round_pk: int
) -> tuple[PriorityRound, MeetingAccess]:
    """The round named in the URL, with what this person may do at its meeting; 404 if not
    there."""
    round = get_object_or_404(
        PriorityRound.objects.select_related("meeting", "neighbourhood__municipality"),
        pk=round_pk,
        neighbourhood__slug=slug,
    )
    round.meeting.neighbourhood = round.neighbourhood
    return round, access_to(request.user, round.meeting)


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
    round, access = round_for(request, slug, round_pk)
    public = results_public(round)
    if not public and not access.run:
        raise Http404
    results = round_services.round_results(round)
    response = render(
        request,
        "problems/round_results.html",
        {
            "neighbourhood": round.neighbourhood,
            "round": round,
            "meeting": round.meeting,
            "results": results,
            "bars": bars(results),
            "hands_counted": any(row.hands is not None for row in results.rows),
            "public": public,
            "open_for_votes": open_for_votes(round),
            "may_print": access.run or Role.OFFICE in access.roles,
        },
    )
    if not public:
        response.headers["Cache-Control"] = "private, no-store"
    return response


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
            "round": round,
            "public": results_public(round),
            "open_for_votes": open_for_votes(round),
        }
        for round in page
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


@never_cache
@login_required
@require_GET
def round_ballot_pdf(request: AuthenticatedHttpRequest, slug: str, round_pk: int) -> HttpResponse:
    """The printable A4 paper ballot, for the team that runs the meeting and the office."""
    round, access = round_for(request, slug, round_pk)
    if not (access.run or Role.OFFICE in access.roles):
        raise PermissionDenied
    day = timezone.localtime(round.meeting.starts_at).date()
    filename = f"stembiljet-{round.neighbourhood.slug}-{day:%Y-%m-%d}.pdf"
    return HttpResponse(
        ballot_paper_pdf(round=round),
        content_type="application/pdf",
        headers={"Content-Disposition": content_disposition_header(False, filename)},
    )
