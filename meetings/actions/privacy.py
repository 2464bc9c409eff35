"""What actions add to a person's data export: actions they own or are the contact for, what
they volunteered for and wrote, and their answers to "Is het beter geworden?"."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from meetings.actions.models import Action, ActionUpdate, SurveyAnswer, Volunteer
from problems.privacy import problem_ref
from residents.models import User
from residents.privacy import export_iso, register_export_section


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
                "done_at": export_iso(a.done_at),
            }
            for a in mine
        ],
        "volunteered": [
            {
                "action": v.action_id,
                "neighbourhood": v.action.neighbourhood.name,
                "outcome": v.action.outcome,
                "signed_up_at": export_iso(v.created_at),
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
                "at": export_iso(u.at),
            }
            for u in ActionUpdate.objects.filter(author=user)
            .select_related("action")
            .order_by("at", "pk")
        ],
    }


@register_export_section("survey_answers")
def export_survey_answers(user: User) -> list[dict[str, Any]]:
    """Their answers to "Is het beter geworden?", by the problem's public title."""
    return [
        {**problem_ref(a.problem), "answer": a.answer, "remark": a.remark, "at": export_iso(a.at)}
        for a in SurveyAnswer.objects.filter(user=user)
        .select_related("problem__neighbourhood", "problem__category")
        .order_by("pk")
    ]
