"""What priority rounds show on a neighbourhood's page (residents.sections): the call to vote
before the priorities, and the last vote's results after them."""

from __future__ import annotations

from typing import Any

from meetings.rounds.selectors import neighbourhood_rounds
from residents.permissions import Perm, can
from residents.sections import SectionContext, neighbourhood_section


def _rounds(ctx: SectionContext) -> dict[str, Any]:
    """The round open for votes and the last one's results: read once for both sections (one
    query, three with results)."""
    if "rounds" not in ctx.shared:
        ctx.shared["rounds"] = neighbourhood_rounds(ctx.neighbourhood)
    found: dict[str, Any] = ctx.shared["rounds"]
    return found


@neighbourhood_section("vote_call", "meetings/neighbourhood_vote_call.html", order=25)
def vote_call(ctx: SectionContext) -> dict[str, Any]:
    """The call to vote while a round is open."""
    return {
        "open_round": _rounds(ctx)["open_round"],
        "can_vote": can(ctx.request.user, Perm.VOTE, ctx.neighbourhood),
    }


@neighbourhood_section("last_vote", "meetings/neighbourhood_last_vote.html", order=35)
def last_vote(ctx: SectionContext) -> dict[str, Any]:
    """The last closed round's summary."""
    return {"last_results": _rounds(ctx)["last_results"]}
