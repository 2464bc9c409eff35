"""What the register adds to a person's data export and to deleting an account.

Reports and supports stay when someone leaves (the problem is still there for the others);
the person's name goes with the User row, which residents.privacy anonymises. What only this
app holds about them: the choice to show their name, names typed for them, what they follow.

The export holds the person's own data only: problems, rounds and actions appear by their
public title, never with anyone else's name or vote. Each section is a fixed, small number of
queries, however much the person did (tests/residents/test_export_complete.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Prefetch, Q
from django.utils import timezone

from problems.models import (
    Action,
    ActionUpdate,
    Ballot,
    BallotPoint,
    Follow,
    Problem,
    ReopenRequest,
    Support,
    SurveyAnswer,
    Volunteer,
)
from residents.models import User
from residents.privacy import register_anonymiser, register_export_section


def _iso(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat() if value else None


def _problem_ref(problem: Problem) -> dict[str, Any]:
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
            "reported_at": _iso(p.created_at),
            "accepted_at": _iso(p.accepted_at),
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
            {**_problem_ref(s.problem), "at": _iso(s.created_at)}
            for s in Support.objects.filter(user=user).select_related(*on_problem).order_by("pk")
        ],
        "following": [
            {**_problem_ref(f.problem), "since": _iso(f.created_at)}
            for f in Follow.objects.filter(user=user).select_related(*on_problem).order_by("pk")
        ],
        "reopen_requests": [
            {
                **_problem_ref(r.problem),
                "note": r.note,
                "at": _iso(r.created_at),
                "handled_at": _iso(r.handled_at),
            }
            for r in ReopenRequest.objects.filter(user=user)
            .select_related(*on_problem)
            .order_by("pk")
        ],
        "survey_answers": [
            {**_problem_ref(a.problem), "answer": a.answer, "remark": a.remark, "at": _iso(a.at)}
            for a in SurveyAnswer.objects.filter(user=user)
            .select_related(*on_problem)
            .order_by("pk")
        ],
    }


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
            "meeting": _iso(b.round.meeting.starts_at),
            "round_status": b.round.status,
            "source": b.source,
            "cast_at": _iso(b.created_at),
            "changed_at": _iso(b.updated_at),
            "points": [
                {"problem": line.candidate.problem.public_title, "points": line.points}
                for line in b.points.all()
            ],
        }
        for b in ballots
    ]


@register_export_section("actions")
def export_actions(user: User) -> dict[str, Any]:
    """Actions they own or are the contact for, volunteered for, and what they wrote on them."""
    mine = (
        Action.objects.filter(Q(owner_person=user) | Q(contact_person=user))
        .select_related("neighbourhood", "problem__neighbourhood", "problem__category")
        .order_by("pk")
    )
    return {
        "owner_or_contact": [
            {
                "action": a.pk,
                "neighbourhood": a.neighbourhood.name,
                "problem": a.problem.public_title,
                "outcome": a.outcome,
                "owner": a.owner_person_id == user.pk,
                "contact": a.contact_person_id == user.pk,
                "status": a.status,
                "first_due_date": a.first_due_date.isoformat(),
                "due_date": a.due_date.isoformat(),
                "done_at": _iso(a.done_at),
            }
            for a in mine
        ],
        "volunteered": [
            {
                "action": v.action_id,
                "neighbourhood": v.action.neighbourhood.name,
                "outcome": v.action.outcome,
                "signed_up_at": _iso(v.created_at),
            }
            for v in Volunteer.objects.filter(user=user)
            .select_related("action__neighbourhood")
            .order_by("pk")
        ],
        "updates_written": [
            {
                "action": u.action_id,
                "outcome": u.action.outcome,
                "kind": u.kind,
                "text": u.text,
                "at": _iso(u.at),
            }
            for u in ActionUpdate.objects.filter(author=user)
            .select_related("action")
            .order_by("at", "pk")
        ],
    }


@register_anonymiser
def forget_problem_ties(user: User) -> None:
    Problem.objects.filter(reporter=user).update(reporter_name_public=False)
    Follow.objects.filter(user=user).delete()
    ReopenRequest.objects.filter(user=user).update(note="")
