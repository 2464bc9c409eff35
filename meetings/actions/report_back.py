"""Report back at a meeting (Terugkoppeling): which actions a meeting looks back on, and the
room's decisions about them, checked against the meeting.

The rows themselves (judgements, action updates, the resolution) are written by
meetings.actions.services; this module adds what only a meeting knows: its place among the
neighbourhood's meetings, and that only a meeting of the same neighbourhood that was not
cancelled can judge an action or resolve a priority.
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from meetings.actions import services as action_services
from meetings.actions.models import ACTION_ACTIVE, Action, Judgement
from meetings.planning.models import Meeting
from meetings.selectors import meeting_before
from problems.models import Problem, TimelineEntry
from residents.models import User


def report_back_since(meeting: Meeting) -> datetime | None:
    """When "changed since the previous meeting" starts: when that meeting closed (what it
    judged and closed itself is not news), else when it started, else its planned start."""
    previous = meeting_before(meeting)
    if previous is None:
        return None
    return previous.closed_at or previous.started_at or previous.starts_at


def report_back_q(meeting: Meeting, since: datetime | None) -> Q:
    """The actions the meeting's Terugkoppeling lists: every action still to be done, and
    every other one that changed since the previous meeting; not those agreed tonight."""
    changed = Q(updated_at__gt=since) if since is not None else Q()
    return (
        Q(neighbourhood_id=meeting.neighbourhood_id, created_at__lt=meeting.starts_at)
        & (Q(status__in=ACTION_ACTIVE) | changed)
        & ~Q(meeting=meeting)
    )


def _not_cancelled(meeting: Meeting) -> None:
    if meeting.cancelled:
        raise ValidationError(_("This meeting was cancelled."))


def judgement_record(
    *,
    action: Action,
    meeting: Meeting,
    actor: User,
    effect: str,
    verdict: str,
    note: str = "",
) -> Judgement:
    """The room's judgement of one action (meetings.actions.services.judgement_record, which
    checks the neighbourhood), by a meeting that was not cancelled."""
    _not_cancelled(meeting)
    return action_services.judgement_record(
        action=action, meeting=meeting, actor=actor, effect=effect, verdict=verdict, note=note
    )


def priority_resolve(
    *, problem: Problem, meeting: Meeting, actor: User, decision: str
) -> TimelineEntry:
    """The meeting resolves a priority (meetings.actions.services.priority_resolve, which checks
    the neighbourhood), if the meeting was not cancelled."""
    _not_cancelled(meeting)
    return action_services.priority_resolve(
        problem=problem, meeting=meeting, actor=actor, decision=decision
    )
