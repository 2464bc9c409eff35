"""The chair's side of a priority round.

/buurt/<slug>/overleg/<pk>/stemronde/          the round: create it, curate the candidates, open
                                               the vote, reveal the results, close (and decide a
                                               tie in the room). The chair and coordinators
                                               (meetings.access.meeting_for_planner).
/buurt/<slug>/overleg/<pk>/stemronde/papier/   paper ballots of known residents and hand counts,
                                               entered by whoever runs the meeting (chair,
                                               minute-taker, coordinator: meeting_for_runner).
/buurt/<slug>/overleg/<pk>/stemronde/stand/    the chair's vote panel for htmx, every 2 seconds:
                                               one query and a 304 while nothing changed.

Every write goes through meetings.rounds.services, which checks the rules again; a refusal is
a clear message and changes nothing. Without JavaScript every form posts and redirects back.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from django_htmx.http import reswap

from buurtoverleg.forms import add_service_errors, error_text, first_error
from buurtoverleg.http import AuthenticatedHttpRequest, local_next
from meetings import services as meeting_services
from meetings import workflow
from meetings.access import MeetingAccess, meeting_for_planner, meeting_for_runner
from meetings.planning.models import Meeting
from meetings.room.panels import maybe_url
from meetings.rounds import services as round_services
from meetings.rounds.forms import (
    CandidateAddForm,
    CandidateRemoveForm,
    HandCountForm,
    PaperBallotForm,
    RoundOpenForm,
    TieForm,
    VoterSearchForm,
)
from meetings.rounds.models import Ballot, PriorityRound, RoundCandidate
from meetings.rounds.panels import (
    PANEL_TEMPLATE,
    panel_etag,
    result_rows,
    round_of,
    round_panel,
)
from meetings.rounds.selectors import (
    SEARCH_LIMIT,
    ballot_candidates,
    ballot_with_points,
    live_panel_state,
    paper_ballots,
    resident_member,
    voters_found,
)
from meetings.rounds.services import BallotInvalid, RoundNotOpen, TieUndecided
from residents.models import User

TEMPLATE = "problems/round.html"
PAPER_TEMPLATE = "problems/round_paper.html"
RS = PriorityRound.Status


def round_url(meeting: Meeting) -> str:
    return reverse("rounds:round", args=[meeting.neighbourhood.slug, meeting.pk])


def paper_url(meeting: Meeting) -> str:
    return reverse("rounds:round_paper", args=[meeting.neighbourhood.slug, meeting.pk])


# --- The round --------------------------------------------------------------------------------


def _page(
    request: AuthenticatedHttpRequest,
    meeting: Meeting,
    priority_round: PriorityRound | None,
    *,
    add_form: CandidateAddForm | None = None,
    remove_form: CandidateRemoveForm | None = None,
    open_form: RoundOpenForm | None = None,
    tie_form: TieForm | None = None,
    tie: TieUndecided | None = None,
    notice: str = "",
    status: int = 200,
) -> HttpResponse:
    """The round's page. Queries do not grow with the number of candidates or votes."""
    hood = meeting.neighbourhood
    context: dict[str, Any] = {
        "meeting": meeting,
        "neighbourhood": hood,
        "round": priority_round,
        "notice": notice,
        "can_create": meeting.status in workflow.NEW_ROUND,
        "paper_url": paper_url(meeting),
        "screen_url": reverse("room:meeting_screen", args=[hood.slug, meeting.pk]),
    }
    if priority_round is None:
        return render(request, TEMPLATE, context, status=status)
    results = round_services.round_results(priority_round)
    rows = result_rows(results)
    editable = priority_round.status in (RS.DRAFT, RS.OPEN)
    places = round_services.places_free(priority_round) if priority_round.status != RS.CLOSED else 0
    winners: list[RoundCandidate] = []
    if priority_round.status == RS.OPEN and tie is None:
        # What closing now would do: the winners, or a tie the chair decides in the room.
        try:
            winners = round_services.round_winners(results, places)
        except TieUndecided as undecided:
            tie = undecided
    if tie is not None and tie_form is None:
        tie_form = TieForm(tied=tie.tied, places=tie.places)
    context.update(
        rows=rows,
        ballot_order=sorted(rows, key=lambda row: row["position"]),
        results=results,
        editable=editable,
        places_free=places,
        max_priorities=hood.max_active_priorities,
        winners=[c.problem.public_title for c in winners],
        tie=tie,
        tie_form=tie_form,
        tied_ids={c.pk for c in tie.tied} if tie else set(),
        add_form=add_form
        or (CandidateAddForm(priority_round=priority_round) if editable else None),
        remove_form=remove_form,
        remove_pk=remove_form["candidate"].value() if remove_form is not None else None,
        open_form=open_form or (RoundOpenForm() if priority_round.status == RS.DRAFT else None),
        ballot_url=maybe_url("rounds:ballot", hood.slug, priority_round.pk),
    )
    return render(request, TEMPLATE, context, status=status)


def _back(request: AuthenticatedHttpRequest, meeting: Meeting) -> HttpResponse:
    """After a POST: where the form came from (the agenda screen's panel), else the round."""
    return redirect(local_next(request, round_url(meeting)))


def _create(
    request: AuthenticatedHttpRequest, meeting: Meeting, priority_round: PriorityRound | None
) -> HttpResponse:
    if priority_round is not None:
        messages.info(request, _("This meeting already has a priority round."))
        return _back(request, meeting)
    if meeting.status not in workflow.NEW_ROUND:
        messages.error(
            request, _("This meeting is cancelled or over: it cannot get a priority round.")
        )
        return _back(request, meeting)
    with transaction.atomic():
        created = round_services.round_create(meeting=meeting)
        meeting_services.meeting_touch(meeting)  # the projector shows the new round at once
    count = created.candidates.count()
    messages.success(
        request,
        ngettext(
            "The priority round is prepared with %(count)s candidate. Check the ballot, then "
            "open the vote.",
            "The priority round is prepared with %(count)s candidates. Check the ballot, then "
            "open the vote.",
            count,
        )
        % {"count": count},
    )
    return redirect(round_url(meeting))


def _add(
    request: AuthenticatedHttpRequest, meeting: Meeting, priority_round: PriorityRound
) -> HttpResponse:
    form = CandidateAddForm(request.POST, priority_round=priority_round)
    if not form.is_valid():
        return _page(request, meeting, priority_round, add_form=form)
    problem = form.cleaned_data["problem"]
    try:
        round_services.round_candidate_add(
            priority_round=priority_round, problem=problem, by=request.user
        )
    except RoundNotOpen as closed:
        messages.error(request, error_text(closed))
        return redirect(round_url(meeting))
    except BallotInvalid as refused:
        add_service_errors(form, refused)
        return _page(request, meeting, priority_round, add_form=form)
    messages.success(
        request,
        _("“%(title)s” is on the ballot.") % {"title": problem.public_title},
    )
    return redirect(round_url(meeting))


def _remove(
    request: AuthenticatedHttpRequest, meeting: Meeting, priority_round: PriorityRound
) -> HttpResponse:
    form = CandidateRemoveForm(request.POST, priority_round=priority_round)
    if not form.is_valid():
        if "candidate" in form.errors:
            messages.error(request, first_error(form))
            return redirect(round_url(meeting))
        return _page(request, meeting, priority_round, remove_form=form)
    candidate: RoundCandidate = form.cleaned_data["candidate"]
    title = candidate.problem.public_title
    try:
        round_services.round_candidate_remove(
            candidate=candidate, by=request.user, reason=form.cleaned_data["reason"]
        )
    except RoundNotOpen as closed:
        messages.error(request, error_text(closed))
        return redirect(round_url(meeting))
    except BallotInvalid as refused:
        add_service_errors(form, refused)
        return _page(request, meeting, priority_round, remove_form=form)
    messages.success(
        request,
        _(
            "“%(title)s” is off the ballot. The reason is on its timeline; points given to it "
            "went back to the voters."
        )
        % {"title": title},
    )
    return redirect(round_url(meeting))


def _open(
    request: AuthenticatedHttpRequest, meeting: Meeting, priority_round: PriorityRound
) -> HttpResponse:
    form = RoundOpenForm(request.POST)
    if not form.is_valid():
        return _page(request, meeting, priority_round, open_form=form)
    if priority_round.status == RS.OPEN:
        messages.info(request, _("The vote was already open."))
        return _back(request, meeting)
    if not priority_round.candidates.exists():
        form.add_error(None, _("The ballot is empty. Put at least one problem on it first."))
        return _page(request, meeting, priority_round, open_form=form)
    try:
        opened = round_services.round_open(
            priority_round=priority_round, closes_at=form.cleaned_data["closes_at"]
        )
    except RoundNotOpen as closed:
        messages.error(request, error_text(closed))
        return redirect(round_url(meeting))
    if opened.closes_at:
        messages.success(
            request,
            _("The vote is open. It closes by itself at %(when)s.")
            % {"when": _when(opened.closes_at)},
        )
    else:
        messages.success(request, _("The vote is open. Residents can vote now."))
    return _back(request, meeting)


def _when(moment: Any) -> str:
    return date_format(timezone.localtime(moment), "l j F, H:i")


def _show(
    request: AuthenticatedHttpRequest,
    meeting: Meeting,
    priority_round: PriorityRound,
    *,
    shown: bool,
) -> HttpResponse:
    if priority_round.status == RS.CLOSED:
        messages.info(request, _("The round is closed: its results are public."))
        return _back(request, meeting)
    with transaction.atomic():
        round_services.round_results_show(priority_round=priority_round, shown=shown)
        meeting_services.meeting_touch(meeting)  # the projector follows the meeting's version
    if shown:
        messages.success(request, _("The projector shows the results now."))
    else:
        messages.success(request, _("The results are hidden from the projector again."))
    return _back(request, meeting)


def _close(
    request: AuthenticatedHttpRequest, meeting: Meeting, priority_round: PriorityRound
) -> HttpResponse:
    deciding = "tie_note" in request.POST or "chosen" in request.POST
    chosen: list[int] = []
    note = ""
    if deciding:
        tie = _current_tie(priority_round)
        if tie is None:
            messages.warning(
                request,
                _(
                    "The votes have changed: there is no tie any more. Check the results and "
                    "close the vote again."
                ),
            )
            return redirect(round_url(meeting))
        form = TieForm(request.POST, tied=tie.tied, places=tie.places)
        if not form.is_valid():
            return _page(request, meeting, priority_round, tie=tie, tie_form=form)
        chosen = [c.pk for c in form.cleaned_data["chosen"]]
        note = form.cleaned_data["tie_note"]
    try:
        winners = round_services.round_close(
            priority_round=priority_round, by=request.user, chosen=chosen, tie_note=note
        )
    except TieUndecided as tie:
        return _page(request, meeting, priority_round, tie=tie, notice=error_text(tie))
    except ValidationError as refused:  # not open, or no note of how the room decided
        messages.error(request, error_text(refused))
        return redirect(round_url(meeting))
    if winners:
        messages.success(
            request,
            _("The vote is closed. New priorities: %(titles)s.")
            % {"titles": "; ".join(c.problem.public_title for c in winners)},
        )
    else:
        messages.success(request, _("The vote is closed. No problem became a priority."))
    return _back(request, meeting)


def _current_tie(priority_round: PriorityRound) -> TieUndecided | None:
    try:
        round_services.round_winners(
            round_services.round_results(priority_round), round_services.places_free(priority_round)
        )
    except TieUndecided as tie:
        return tie
    return None


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def round_manage(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    meeting = meeting_for_planner(request, slug, pk)
    priority_round = round_of(meeting)
    if request.method == "GET":
        return _page(request, meeting, priority_round)
    action = request.POST.get("action", "")
    if action == "create":
        return _create(request, meeting, priority_round)
    if priority_round is None:
        messages.error(request, _("This meeting has no priority round yet. Prepare it first."))
        return redirect(round_url(meeting))
    if action == "add":
        return _add(request, meeting, priority_round)
    if action == "remove":
        return _remove(request, meeting, priority_round)
    if action == "open":
        return _open(request, meeting, priority_round)
    if action in ("show", "hide"):
        return _show(request, meeting, priority_round, shown=action == "show")
    if action == "close":
        return _close(request, meeting, priority_round)
    messages.error(request, _("Nothing was changed: the form was not recognised. Try again."))
    return redirect(round_url(meeting))


# --- Paper ballots and hand counts ------------------------------------------------------------


def _paper_page(
    request: AuthenticatedHttpRequest,
    meeting: Meeting,
    access: MeetingAccess,
    priority_round: PriorityRound | None,
    *,
    ballot_form: PaperBallotForm | None = None,
    hands_form: HandCountForm | None = None,
    voter: User | None = None,
    status: int = 200,
) -> HttpResponse:
    hood = meeting.neighbourhood
    context: dict[str, Any] = {
        "meeting": meeting,
        "neighbourhood": hood,
        "round": priority_round,
        "access": access,
        "round_url": round_url(meeting) if access.plan else "",
        "screen_url": reverse("room:meeting_screen", args=[hood.slug, meeting.pk]),
    }
    if priority_round is None:
        return render(request, PAPER_TEMPLATE, context, status=status)
    candidates = ballot_candidates(priority_round)
    results = round_services.round_results(priority_round)
    hands_now = {row.candidate.pk: row.hands for row in results.rows}
    search = VoterSearchForm(request.GET if "q" in request.GET else None)
    words = search.words()
    found, more = voters_found(hood, words, priority_round)
    if voter is None and ballot_form is None and "voter" in request.GET:
        voter = resident_member(hood, _int(request.GET["voter"]))
        if voter is None:
            messages.error(
                request, _("That person is not a resident member of this neighbourhood.")
            )
    existing = ballot_with_points(priority_round, voter) if voter is not None else None
    if ballot_form is None and voter is not None:
        initial: dict[str, Any] = {"voter": voter.pk}
        if existing is not None and existing.source == Ballot.Source.PAPER:
            for line in existing.points.all():
                initial[f"points-{line.candidate_id}"] = line.points
        ballot_form = PaperBallotForm(
            priority_round=priority_round, candidates=candidates, initial=initial
        )
    if hands_form is None:
        hands_form = HandCountForm(
            candidates=candidates,
            initial={f"hands-{pk}": hands for pk, hands in hands_now.items()},
        )
    context.update(
        candidates=candidates,
        results=results,
        open=priority_round.status == RS.OPEN,
        search_form=search,
        searched=bool(words),
        q=" ".join(words),
        found=found,
        more=more,
        limit=SEARCH_LIMIT,
        voter=voter,
        voted_online=existing is not None and existing.source == Ballot.Source.ONLINE,
        ballot_form=ballot_form,
        hands_form=hands_form,
        paper_ballots=paper_ballots(priority_round),
    )
    return render(request, PAPER_TEMPLATE, context, status=status)


def _int(value: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _paper_ballot(
    request: AuthenticatedHttpRequest,
    meeting: Meeting,
    access: MeetingAccess,
    priority_round: PriorityRound,
) -> HttpResponse:
    form = PaperBallotForm(
        request.POST, priority_round=priority_round, candidates=ballot_candidates(priority_round)
    )
    if not form.is_valid():
        if "voter" in form.errors:
            messages.error(request, first_error(form))
            return redirect(paper_url(meeting))
        return _paper_page(
            request,
            meeting,
            access,
            priority_round,
            ballot_form=form,
            voter=form.cleaned_data["voter"],
        )
    voter: User = form.cleaned_data["voter"]
    try:
        ballot = round_services.ballot_cast(
            priority_round=priority_round,
            voter=voter,
            points=form.points(),
            source=Ballot.Source.PAPER,
            entered_by=request.user,
        )
    except RoundNotOpen as closed:
        messages.error(request, error_text(closed))
        return redirect(paper_url(meeting))
    except BallotInvalid as refused:
        add_service_errors(form, refused)
        return _paper_page(request, meeting, access, priority_round, ballot_form=form, voter=voter)
    name = voter.display_name
    if ballot is None:
        messages.success(
            request, _("The paper ballot of %(name)s is removed: no points.") % {"name": name}
        )
    else:
        used = sum(form.points().values())
        messages.success(
            request,
            ngettext(
                "The paper ballot of %(name)s is saved: %(count)s point.",
                "The paper ballot of %(name)s is saved: %(count)s points.",
                used,
            )
            % {"name": name, "count": used},
        )
    return redirect(paper_url(meeting))


def _hands(
    request: AuthenticatedHttpRequest,
    meeting: Meeting,
    access: MeetingAccess,
    priority_round: PriorityRound,
) -> HttpResponse:
    candidates = ballot_candidates(priority_round)
    form = HandCountForm(request.POST, candidates=candidates)
    if not form.is_valid():
        return _paper_page(request, meeting, access, priority_round, hands_form=form)
    current = {
        row.candidate.pk: row.hands for row in round_services.round_results(priority_round).rows
    }
    changes = {pk: hands for pk, hands in form.hands().items() if current.get(pk) != hands}
    by_pk = {c.pk: c for c in candidates}
    try:
        with transaction.atomic():  # all counts or none
            for pk, hands in changes.items():
                round_services.hand_count_set(
                    priority_round=priority_round, candidate=by_pk[pk], hands=hands, by=request.user
                )
    except RoundNotOpen as closed:
        messages.error(request, error_text(closed))
        return redirect(paper_url(meeting))
    except BallotInvalid as refused:
        add_service_errors(form, refused)
        return _paper_page(request, meeting, access, priority_round, hands_form=form)
    if changes:
        messages.success(request, _("The hand counts are saved. They are shown apart."))
    else:
        messages.info(request, _("Nothing changed in the hand counts."))
    return redirect(paper_url(meeting))


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def round_paper(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    meeting, access = meeting_for_runner(request, slug, pk)
    priority_round = round_of(meeting)
    if request.method == "GET":
        return _paper_page(request, meeting, access, priority_round)
    if priority_round is None:
        messages.error(request, _("This meeting has no priority round yet."))
        return redirect(paper_url(meeting))
    action = request.POST.get("action", "")
    if action == "ballot":
        return _paper_ballot(request, meeting, access, priority_round)
    if action == "hands":
        return _hands(request, meeting, access, priority_round)
    messages.error(request, _("Nothing was changed: the form was not recognised. Try again."))
    return redirect(paper_url(meeting))


# --- The chair's live panel -------------------------------------------------------------------


def _etag_matches(request: HttpRequest, etag: str) -> bool:
    header = request.headers.get("If-None-Match", "")
    return any(tag.strip().removeprefix("W/") == etag for tag in header.split(",") if tag)


@login_required
@require_GET
def round_panel_live(request: AuthenticatedHttpRequest, slug: str, pk: int) -> HttpResponse:
    """The live part of the chair's vote panel, asked for every 2 seconds: one query and a 304
    (which htmx leaves as it is) while the round did not change, else the part with its new
    ETag."""
    state = live_panel_state(request.user, slug, pk)
    if state is None:
        raise Http404
    version, allowed = state
    if not allowed:
        raise PermissionDenied
    etag = panel_etag(version)
    response: HttpResponse
    if _etag_matches(request, etag):
        response = reswap(HttpResponseNotModified(), "none")
    else:
        meeting, _access = meeting_for_runner(request, slug, pk)
        panel = round_panel(request, meeting, public=False)
        response = render(request, f"{PANEL_TEMPLATE}#live", {"panel": {"public": False, **panel}})
        etag = panel["etag"]
    response["ETag"] = etag
    # The panel names results hidden from the room: never kept in a cache.
    response["Cache-Control"] = "no-cache, no-store, private"
    return response
