"""What priority rounds add to a person's data export: their own points in each round."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch

from meetings.rounds.models import Ballot, BallotPoint
from residents.models import User
from residents.privacy import export_iso, register_export_section


@register_export_section("ballots")
def export_ballots(user: User) -> list[dict[str, Any]]:
    """Their own points in each priority round. Who typed in a paper ballot is left out."""
    points = BallotPoint.objects.select_related(
        "candidate__problem__neighbourhood", "candidate__problem__category"
    ).order_by("candidate__position", "candidate_id")
    ballots = (
        Ballot.objects.filter(voter=user)
        .select_related("round__neighbourhood", "round__meeting")
        .prefetch_related(Prefetch("points", queryset=points))
        .order_by("round__meeting__starts_at", "pk")
    )
    return [
        {
            "neighbourhood": b.round.neighbourhood.name,
            "meeting": export_iso(b.round.meeting.starts_at),
            "round_status": b.round.status,
            "source": b.source,
            "cast_at": export_iso(b.created_at),
            "changed_at": export_iso(b.updated_at),
            "points": [
                {"problem": line.candidate.problem.public_title, "points": line.points}
                for line in b.points.all()
            ],
        }
        for b in ballots
    ]
