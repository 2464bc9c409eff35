"""Who may do what with a meeting: the helpers every meeting view fetches through.

meeting, access = meeting_for(request, slug, pk)           # anyone: 404 if not there
meeting = meeting_for_planner(request, slug, pk)           # chair, coordinator
meeting = meeting_for_runner(request, slug, pk)            # + minute-taker, the meeting's own
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404

from meetings.planning.models import Meeting
from residents.permissions import Perm, can, roles_in


@dataclass(frozen=True)
class MeetingAccess:
    roles: frozenset[str]
    plan: bool  # move, cancel, build and publish the agenda, decide on proposals
    run: bool  # the agenda screen, attendance, the projector link
    attend: bool  # RSVP, check in
    propose: bool  # propose an agenda item
    team: bool  # sees confidential details of problems (logged)
    pack: bool = False  # downloads the printed pack (chair, office, coordinator)

    @property
    def sees_draft_agenda(self) -> bool:
        return self.plan or self.run


def _own_role(user: Any, meeting: Meeting) -> bool:
    """The meeting's own chair or minute-taker (roles rotate), while still a member."""
    if not user.is_authenticated or user.pk not in (meeting.chair_id, meeting.minute_taker_id):
        return False
    return bool(roles_in(user, meeting.neighbourhood))


def access_to(user: Any, meeting: Meeting) -> MeetingAccess:
    hood = meeting.neighbourhood
    own = _own_role(user, meeting)
    return MeetingAccess(
        roles=roles_in(user, hood),
        plan=can(user, Perm.PLAN_MEETING, hood),
        run=can(user, Perm.RUN_MEETING, hood) or own,
        attend=can(user, Perm.ATTEND_MEETING, hood),
        propose=can(user, Perm.PROPOSE_AGENDA_ITEM, hood),
        team=can(user, Perm.VIEW_CONFIDENTIAL, hood),
        pack=can(user, Perm.PRINT_PACK, hood),
    )


def meeting_for(request: Any, slug: str, pk: int) -> tuple[Meeting, MeetingAccess]:
    meeting = get_object_or_404(
        Meeting.objects.select_related("neighbourhood__municipality"),
        pk=pk,
        neighbourhood__slug=slug,
    )
    return meeting, access_to(request.user, meeting)


def meeting_for_planner(request: Any, slug: str, pk: int) -> Meeting:
    meeting, access = meeting_for(request, slug, pk)
    if not access.plan:
        raise PermissionDenied
    return meeting


def meeting_for_runner(request: Any, slug: str, pk: int) -> tuple[Meeting, MeetingAccess]:
    meeting, access = meeting_for(request, slug, pk)
    if not access.run:
        raise PermissionDenied
    return meeting, access
