"""The vote panel of the agenda screen and the projector (meetings/room/panels.py).

One template (templates/problems/panels/prioritise.html) for both screens:

- the chair's agenda screen (ctx.public False): the live results, always, marked "only you see
  this" while they are hidden from the room; links to manage the round and to enter paper
  ballots and hand counts. htmx asks /stemronde/stand/ every 2 seconds with the ETag of what it
  shows (round_views.round_panel_live): one query and a 304 when nothing changed.
- the projector (ctx.public True): a QR code to the ballot page and the results, but only once
  the chair revealed them (round.results_shown); before that the number of voters so far. The
  projector follows Meeting.version, which every vote raises, so it needs no poll of its own.

Everything is built here as plain values (public titles and numbers), so the template cannot
reach a reporter or a confidential detail. A fixed number of queries, whatever the number of
candidates: the round, its results (round_services.round_results, two queries) and, for the
chair, the places free.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import get_language

from buurtoverleg.qr import qr_data_uri
from meetings.access import access_to
from meetings.planning.models import AgendaItem, Meeting
from meetings.room.panels import PanelContext, maybe_url, panel
from meetings.rounds import services as round_services
from meetings.rounds.models import PriorityRound, RoundCandidate

PANEL_TEMPLATE = "problems/panels/prioritise.html"
RS = PriorityRound.Status
Outcome = RoundCandidate.Outcome


def panel_etag(version: int | None) -> str:
    """What the chair's panel shows: this version of the round (0: none yet), this language."""
    return f'"round{version or 0}-{get_language() or settings.LANGUAGE_CODE}"'


def round_of(meeting: Meeting) -> PriorityRound | None:
    """The meeting's round, sharing the meeting and neighbourhood already loaded (one query)."""
    found = PriorityRound.objects.filter(meeting=meeting).first()
    if found is not None:
        found.meeting = meeting
        found.neighbourhood = meeting.neighbourhood
    return found


def _pct(part: int, whole: int) -> str:
    """A bar's length as an SVG number: never localised (a Dutch comma would break it)."""
    if whole <= 0 or part <= 0:
        return "0"
    return f"{min(100.0, 100.0 * part / whole):.1f}"


def result_rows(results: round_services.Results) -> list[dict[str, Any]]:
    """The results as public values: highest total first, with the bars' lengths."""
    top = results.top
    rows = []
    for rank, row in enumerate(results.rows, start=1):
        candidate = row.candidate
        rows.append(
            {
                "rank": rank,
                "pk": candidate.pk,
                "position": (candidate.position, candidate.pk),
                "problem_pk": candidate.problem_id,
                "title": candidate.problem.public_title,
                "online": row.online,
                "paper": row.paper,
                "ballots": row.ballots,
                "voters": row.voters,
                "hands": row.hands,
                "total": row.total,
                "ballots_pct": _pct(row.ballots, top),
                "hands_pct": _pct(row.hands or 0, top),
                "hands_x": _pct(row.ballots, top),
                "outcome": candidate.outcome,
                "outcome_label": str(candidate.get_outcome_display()) if candidate.outcome else "",
                "chosen_in_room": candidate.chosen_in_room,
            }
        )
    return rows


def ballot_qr(priority_round: PriorityRound) -> dict[str, str] | None:
    """The QR code to the ballot page and its address, to type by hand (None: no ballot page)."""
    path = maybe_url("rounds:ballot", priority_round.neighbourhood.slug, priority_round.pk)
    if not path:
        return None
    url = settings.SITE_URL + path
    return {"url": url, "short_url": url.split("://", 1)[-1], "qr": qr_data_uri(url)}


def round_panel(request: HttpRequest, meeting: Meeting, *, public: bool) -> dict[str, Any]:
    """What the panel shows, for the projector (public) or the chair's screen."""
    slug = meeting.neighbourhood.slug
    priority_round = round_of(meeting)
    context: dict[str, Any] = {"round": None}
    if not public:
        access = access_to(request.user, meeting)  # roles are cached on the user: no query
        context.update(
            plan=access.plan,
            round_url=maybe_url("rounds:round", slug, meeting.pk) if access.plan else "",
            paper_url=maybe_url("rounds:round_paper", slug, meeting.pk),
            live_url=maybe_url("rounds:round_panel_live", slug, meeting.pk),
            screen_url=maybe_url("room:meeting_screen", slug, meeting.pk),
        )
        etag = panel_etag(priority_round.version if priority_round else None)
        # htmx sends it with every poll (static JSON: no eval under the CSP); the answer is a 304
        # that htmx leaves alone (HX-Reswap: none) or the new panel with the next ETag.
        context.update(etag=etag, live_headers=json.dumps({"If-None-Match": etag}))
    if priority_round is None:
        return context
    results = round_services.round_results(priority_round)
    rows = result_rows(results)
    shown = priority_round.results_shown or priority_round.status == RS.CLOSED
    context.update(
        round={
            "pk": priority_round.pk,
            "status": priority_round.status,
            "status_label": str(priority_round.get_status_display()),
            "draft": priority_round.status == RS.DRAFT,
            "open": priority_round.status == RS.OPEN,
            "closed": priority_round.status == RS.CLOSED,
            "closes_at": priority_round.closes_at,
            "points": priority_round.points,
            "max_per_problem": priority_round.max_per_problem,
            "results_shown": shown,
            "tie_note": priority_round.tie_note,
        },
        voters=results.voters,
        voters_online=results.voters_online,
        voters_paper=results.voters_paper,
        hands_counted=any(row["hands"] is not None for row in rows),
        candidates=len(rows),
    )
    if public:
        # Until the chair reveals them the room sees the candidates, never a number of points,
        # and in ballot order (the order of the totals would give the ranking away).
        in_order = sorted(rows, key=lambda row: row["position"])
        context["problems"] = rows if shown else [{"title": row["title"]} for row in in_order]
        context["results"] = rows if shown else []
        context["ballot"] = ballot_qr(priority_round) if priority_round.status == RS.OPEN else None
        return context
    context["results"] = rows
    context["hidden_from_room"] = not shown
    if priority_round.status != RS.CLOSED:
        context["places_free"] = round_services.places_free(priority_round)
    return context


@panel(AgendaItem.Kind.PRIORITISE, PANEL_TEMPLATE)
def prioritise(ctx: PanelContext) -> dict[str, Any]:
    return round_panel(ctx.request, ctx.meeting, public=ctx.public)
