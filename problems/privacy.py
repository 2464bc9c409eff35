"""What the register adds to a person's data export and to deleting an account.

Reports and supports stay when someone leaves (the problem is still there for the others);
the person's name goes with the User row, which residents.privacy anonymises. What only this
app holds about them: the choice to show their name, names typed for them, what they follow.
"""

from __future__ import annotations

from typing import Any

from problems.models import Follow, Problem, ReopenRequest, Support
from residents.models import User
from residents.privacy import register_anonymiser, register_export_section


@register_export_section("problems")
def export_problems(user: User) -> dict[str, Any]:
    reported = Problem.objects.filter(reporter=user).select_related("neighbourhood", "category")
    return {
        "reported": [
            {
                "neighbourhood": p.neighbourhood.name,
                "category": p.category.name,
                "title": p.title,
                "description": p.description,
                "street": p.street,
                "location_detail": p.location_detail,
                "status": p.status,
                "reported_at": p.created_at.isoformat(),
                "name_shown_to_residents": p.reporter_name_public,
            }
            for p in reported.order_by("pk")
        ],
        "supported": list(
            Support.objects.filter(user=user).order_by("pk").values_list("problem_id", flat=True)
        ),
        "following": list(
            Follow.objects.filter(user=user).order_by("pk").values_list("problem_id", flat=True)
        ),
        "reopen_requests": [
            {"problem": r.problem_id, "note": r.note, "at": r.created_at.isoformat()}
            for r in ReopenRequest.objects.filter(user=user).order_by("pk")
        ],
    }


@register_anonymiser
def forget_problem_ties(user: User) -> None:
    Problem.objects.filter(reporter=user).update(reporter_name_public=False)
    Follow.objects.filter(user=user).delete()
    ReopenRequest.objects.filter(user=user).update(note="")
