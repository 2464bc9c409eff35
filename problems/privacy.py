"""What the register adds to a person's data export and to deleting an account.

Reports and supports stay when someone leaves (the problem is still there for the others);
the person's name goes with the User row, which residents.privacy anonymises. What only this
app holds about them: the choice to show their name, names typed for them, what they follow.

Their ballots, actions and survey answers are meetings.rounds.privacy's and
meetings.actions.privacy's. The export holds the person's own data only: problems appear by their
public title, never with anyone else's name or vote. Each section is a fixed, small number of
queries, however much the person did (tests/residents/test_export_complete.py).
"""

from __future__ import annotations

from typing import Any

from problems.models import Follow, Problem, ReopenRequest, Support
from residents.models import User
from residents.privacy import export_iso, register_anonymiser, register_export_section


def problem_ref(problem: Problem) -> dict[str, Any]:
    """A problem someone else may have reported: what everyone may see of it."""
    return {
        "problem": problem.pk,
        "title": problem.public_title,
        "neighbourhood": problem.neighbourhood.name,
    }


def _reported(user: User) -> list[dict[str, Any]]:
    # Their own reports in full, the confidential details included: they typed them.
    reported = (
        Problem.objects.filter(reporter=user)
        .select_related("neighbourhood", "category")
        .prefetch_related("photos")
        .order_by("pk")
    )
    return [
        {
            "problem": p.pk,
            "neighbourhood": p.neighbourhood.name,
            "category": p.category.name,
            "title": p.title,
            "description": p.description,
            "street": p.street,
            "location_detail": p.location_detail,
            "latitude": str(p.latitude) if p.latitude is not None else None,
            "longitude": str(p.longitude) if p.longitude is not None else None,
            "times_of_day": p.times_of_day,
            "days_of_week": p.days_of_week,
            "since": p.since,
            "sensitive": p.sensitive,
            "public_summary": p.public_summary,
            "confidential_details": p.confidential_details,
            "photos": [photo.image.name for photo in p.photos.all()],
            "status": p.status,
            "reported_at": export_iso(p.created_at),
            "accepted_at": export_iso(p.accepted_at),
            "name_shown_to_residents": p.reporter_name_public,
        }
        for p in reported
    ]


@register_export_section("problems")
def export_problems(user: User) -> dict[str, Any]:
    on_problem = ("problem__neighbourhood", "problem__category")
    return {
        "reported": _reported(user),
        "supported": [
            {**problem_ref(s.problem), "at": export_iso(s.created_at)}
            for s in Support.objects.filter(user=user).select_related(*on_problem).order_by("pk")
        ],
        "following": [
            {**problem_ref(f.problem), "since": export_iso(f.created_at)}
            for f in Follow.objects.filter(user=user).select_related(*on_problem).order_by("pk")
        ],
        "reopen_requests": [
            {
                **problem_ref(r.problem),
                "note": r.note,
                "at": export_iso(r.created_at),
                "handled_at": export_iso(r.handled_at),
            }
            for r in ReopenRequest.objects.filter(user=user)
            .select_related(*on_problem)
            .order_by("pk")
        ],
    }


@register_anonymiser
def forget_problem_ties(user: User) -> None:
    Problem.objects.filter(reporter=user).update(reporter_name_public=False)
    Follow.objects.filter(user=user).delete()
    ReopenRequest.objects.filter(user=user).update(note="")
