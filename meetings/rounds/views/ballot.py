"""A resident's ballot in a priority round: logged in, or through the personal ballot link.

Both show the same page and take the same POST (`points-<candidate id>` fields; none at all
withdraws the ballot). Every write goes through round_services.ballot_cast, which checks the
budget and the candidates on the server; this module only reads what was sent, so saving a
ballot does not load the candidates (the POST stays within its query budget). The link acts
for the person and the round in its token, never for anyone named in the form or the session.
Results are never shown here: the page links to them once the chair has revealed them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from buurtoverleg.http import AuthenticatedHttpRequest
from meetings.rounds.ballot import BallotForm, points_from_post
from meetings.rounds.links import BALLOT
from meetings.rounds.models import Ballot, PriorityRound
from meetings.rounds.selectors import StoredBallot, ballot_candidates, stored_ballot
from meetings.rounds.services import BallotInvalid, RoundNotOpen, ballot_cast, voter_may_vote
from residents.links import LinkError, LinkExpired, read_action_link_token
from residents.models import User
from residents.permissions import roles_in
from residents.selectors import has_pending_membership

TEMPLATE = "problems/ballot.html"
LINK_PROBLEM_TEMPLATE = "problems/ballot_link_problem.html"
RS = PriorityRound.Status


# What the page says about the round and about the person.
OPEN, NOT_OPEN, CLOSED = "open", "not_open", "closed"
VOTER, TEAM, PENDING, OUTSIDER = "voter", "team", "pending", "outsider"


def _round_state(priority_round: PriorityRound) -> str:
    if priority_round.status == RS.DRAFT:
        return NOT_OPEN
    if priority_round.status == RS.CLOSED or (
        priority_round.closes_at and priority_round.closes_at <= timezone.now()
    ):
        return CLOSED
    return OPEN


def _standing(user: User, priority_round: PriorityRound) -> str:
    """Whether this person votes here and, if not, why not (for the explanation)."""
    if voter_may_vote(user, priority_round):
        return VOTER
    if roles_in(user, priority_round.neighbourhood):
        return TEAM  # professionals, office staff, a chair who is not a resident, coordinators
    if has_pending_membership(user, priority_round.neighbourhood):
        return PENDING
    return OUTSIDER


@dataclass(frozen=True)
class ErrorLine:
    """One line of the error summary; `anchor` is the id of the field it is about."""

    text: str
    anchor: str = ""


def _page(
    request: HttpRequest,
    priority_round: PriorityRound,
    voter: User,
    *,
    link: bool,
    data: Any = None,
    errors: list[str] | None = None,
) -> HttpResponse:
    standing = _standing(voter, priority_round)
    context: dict[str, Any] = {
        "round": priority_round,
        "meeting": priority_round.meeting,
        "neighbourhood": priority_round.neighbourhood,
        "voter": voter,
        "link": link,
        "standing": standing,
        "state": _round_state(priority_round),
        "errors": [ErrorLine(text=str(error)) for error in errors or []],
    }
    if standing in (PENDING, OUTSIDER):
        # Nothing of the round for someone who is not a member here: only why, and what to do.
        return render(request, TEMPLATE, context, status=403)
    # Ballot order; the problem's page is linked by the neighbourhood's slug (no query per row).
    candidates = ballot_candidates(priority_round)
    mine = stored_ballot(priority_round, voter) if standing == VOTER else StoredBallot(points={})
    form = BallotForm(
        data, priority_round=priority_round, candidates=candidates, current=mine.points
    )
    # The summary at the top: what is wrong at each field (linked to it) where the form can
    # tell; else the server's own words.
    summary = [ErrorLine(text=str(error)) for error in errors or []]
    if data is not None and not form.is_valid():
        found = [ErrorLine(text=str(e)) for e in form.non_field_errors()]
        found += [ErrorLine(text=str(e), anchor=f.id_for_label) for f in form for e in f.errors]
        summary = found or summary
    left = form.left()
    context.update(
        form=form,
        candidates=candidates,
        mine=mine,
        read_rows=[(c, mine.points.get(c.pk, 0)) for c in candidates],
        errors=summary,
        left=max(left, 0),
        over=max(-left, 0),
        may_vote=standing == VOTER and context["state"] == OPEN and not mine.on_paper,
    )
    return render(request, TEMPLATE, context)


def _cast(
    request: HttpRequest, priority_round: PriorityRound, voter: User, *, link: bool
) -> HttpResponse:
    """Save the ballot sent (or withdraw it) and go back to the page; or show what is wrong."""
    if _standing(voter, priority_round) != VOTER:
        return _page(request, priority_round, voter, link=link)
    withdraw = "withdraw" in request.POST
    try:
        points = {} if withdraw else points_from_post(request.POST)
        ballot = ballot_cast(
            priority_round=priority_round, voter=voter, points=points, source=Ballot.Source.ONLINE
        )
    except RoundNotOpen as closed:
        # It may have closed since this request read it: show the page as it is now.
        priority_round.refresh_from_db(fields=["status", "closes_at", "results_shown"])
        return _page(request, priority_round, voter, link=link, errors=closed.messages)
    except BallotInvalid as invalid:
        # What was sent, to correct it; not when there is nothing to correct.
        on_paper = getattr(invalid, "code", None) == "voted_on_paper"
        data = None if withdraw or on_paper else request.POST
        return _page(request, priority_round, voter, link=link, data=data, errors=invalid.messages)
    if ballot is not None:
        messages.success(
            request, _("Your vote has been saved. You can change it until voting closes.")
        )
    elif withdraw:
        messages.success(
            request, _("Your vote has been withdrawn. You can vote again until voting closes.")
        )
    else:
        messages.info(request, _("You gave no points, so you have no vote in this round."))
    response = redirect(request.path)
    response.status_code = 303  # See Other: the browser asks for the page again with GET
    return response


@never_cache
@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def ballot(request: AuthenticatedHttpRequest, slug: str, round_pk: int) -> HttpResponse:
    """The logged-in resident's ballot in a round of their neighbourhood."""
    priority_round = get_object_or_404(
        PriorityRound.objects.for_page(), pk=round_pk, neighbourhood__slug=slug
    )
    if request.method == "POST":
        return _cast(request, priority_round, request.user, link=False)
    return _page(request, priority_round, request.user, link=False)


# The personal link in the agenda mail. The signed token is the authority (as with the
# unsubscribe and unfollow links): it names the person and the round, never logs anyone in and
# works on a phone in the room without a session, so there is no CSRF token to check (a
# forged POST would need the token, which is all a voter has anyway).
@csrf_exempt
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def ballot_link(request: HttpRequest, token: str) -> HttpResponse:
    try:
        found = read_action_link_token(token=token, purpose=BALLOT)
    except LinkExpired:
        return render(request, LINK_PROBLEM_TEMPLATE, {"expired": True}, status=410)
    except LinkError:
        return render(request, LINK_PROBLEM_TEMPLATE, {"expired": False}, status=400)
    priority_round = get_object_or_404(PriorityRound.objects.for_page(), pk=found.obj.pk)
    if request.method == "POST":
        return _cast(request, priority_round, found.user, link=True)
    return _page(request, priority_round, found.user, link=True)
