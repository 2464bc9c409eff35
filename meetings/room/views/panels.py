"""The panels of the agenda screen and the projector, one per agenda-item kind (see panels.py).

Each returns what its template shows. With ctx.public (the projector) only public fields, built
as plain values so the template cannot reach anything else: never a reporter's name, a
confidential detail, or the name of someone at the meeting. Every panel runs a fixed number of
queries, whatever the number of problems, items or people.

Kinds without a panel here (Terugkoppeling and Aanpak come with the actions, Prioriteren with
the priority round) show templates/meetings/panels/_none.html.
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from meetings.planning.models import AgendaItem
from meetings.room.forms.screen import NextRolesForm
from meetings.room.models import Attendance
from meetings.room.panels import PanelContext, maybe_url, panel
from meetings.room.selectors import (
    attendance_counts,
    attendance_rows,
    item_problems_by_support,
    public_priorities,
    public_problem_counts,
)
from meetings.selectors import meeting_after, new_since

Kind = AgendaItem.Kind


@panel(Kind.OPENING, "meetings/panels/opening.html")
def opening(ctx: PanelContext) -> dict[str, Any]:
    """Who is here so far and how many came for the first time. Names on the team's screen
    only (so the chair can welcome newcomers); the projector gets the numbers."""
    walk_ins = ctx.meeting.walk_ins
    if ctx.public:
        counts = attendance_counts(ctx.meeting)
        return {"present": counts["people"] + walk_ins, "newcomers": counts["newcomers"]}
    people = attendance_rows(ctx.meeting)
    newcomers = [
        {
            "name": row.user.display_name if row.user else row.name,
            "named_in_minutes": bool(row.user and row.user.consent_named_in_minutes),
        }
        for row in people
        if row.newcomer
    ]
    return {
        "attendance_url": maybe_url(
            "room:meeting_attendance", ctx.meeting.neighbourhood.slug, ctx.meeting.pk
        ),
        "present": len(people) + walk_ins,
        "residents": sum(1 for row in people if row.kind == Attendance.Kind.RESIDENT),
        "professionals": sum(1 for row in people if row.kind == Attendance.Kind.PROFESSIONAL),
        "walk_ins": walk_ins,
        "newcomers": len(newcomers),
        "newcomer_names": newcomers,
    }


@panel(Kind.STATE, "meetings/panels/state.html")
def state(ctx: PanelContext) -> dict[str, Any]:
    """Stand van de buurt: open public problems, new ones since the last meeting, and the
    current priorities (public titles only, on both screens)."""
    hood = ctx.meeting.neighbourhood_id
    since = new_since(ctx.meeting)
    counts = public_problem_counts(hood, since.at)
    priorities = public_priorities(hood)
    return {
        "open": counts["open"],
        "new": counts["new"],
        "since": since.at,
        "since_previous": since.previous,
        "priorities": [{"title": p.public_title, "support": p.support_count} for p in priorities],
    }


@panel(Kind.NEW_PROBLEMS, "meetings/panels/new_problems.html")
def new_problems(ctx: PanelContext) -> dict[str, Any]:
    """The item's problems. The projector: public fields only. The team's screen: also how much
    support each has and its history (reported, discussed, reopened)."""
    problems = item_problems_by_support(ctx.item, public_only=ctx.public or not ctx.team)
    if ctx.public:
        return {
            "problems": [
                {
                    "title": p.public_title,
                    "description": p.public_description,
                    "location": p.public_location,
                    "category": p.category.label,
                    "support": p.support_count,
                }
                for p in problems
            ]
        }
    return {
        "problems": [
            {
                "pk": p.pk,
                "title": p.public_title,
                "category": p.category.label,
                "status": str(p.get_status_display()),
                "support": p.support_count,
                "reported": p.created_at,
                "discussed": p.discussed_count,
                "reopened": p.reopened_count,
                "chronic": p.chronic_confirmed_at is not None,
            }
            for p in problems
        ]
    }


@panel(Kind.CLOSING, "meetings/panels/closing.html")
def closing(ctx: PanelContext) -> dict[str, Any]:
    """Afsluiting: the next meeting's date; on the team's screen also who chairs and who takes
    the minutes next time (a form). The projector shows the date and place only."""
    following = meeting_after(ctx.meeting)
    if ctx.public:
        return {
            "next_meeting": (
                {"starts_at": following.starts_at, "place": following.place}
                if following is not None
                else None
            )
        }
    form = None
    if following is not None:
        form = NextRolesForm(
            neighbourhood=ctx.meeting.neighbourhood,
            initial={"chair": following.chair_id, "minute_taker": following.minute_taker_id},
        )
    meeting = ctx.meeting
    return {
        "next_meeting": following,
        "form": form,
        "action": reverse("room:meeting_next_roles", args=[meeting.neighbourhood.slug, meeting.pk]),
        "meetings_url": maybe_url("planning:meetings", meeting.neighbourhood.slug),
    }
