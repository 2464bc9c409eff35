"""Who may see and do what, in one table.

Every team view asks `neighbourhood_for(request, slug, Perm.X)`; tests iterate over RULES.
Nobody acts in a neighbourhood where they hold no active role; coordinators act in every
neighbourhood of their municipality.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from django.core.exceptions import PermissionDenied

from residents.models import Coordinator, Membership, Neighbourhood, Role
from residents.selectors import neighbourhood_or_404

COORDINATOR = "coordinator"


class Perm(StrEnum):
    VIEW_MEMBERS = "view_members"
    MANAGE_MEMBERS = "manage_members"
    SET_ROLES = "set_roles"
    PRINT_INVITE_CODES = "print_invite_codes"
    VIEW_CONFIDENTIAL = "view_confidential"
    ENTER_FOR_RESIDENT = "enter_for_resident"
    VIEW_MAILINGS = "view_mailings"
    MANAGE_MAILINGS = "manage_mailings"
    MANAGE_MAIL_BLOCKS = "manage_mail_blocks"
    REPORT_PROBLEM = "report_problem"
    SUPPORT_PROBLEM = "support_problem"
    EDIT_PROBLEM = "edit_problem"
    VIEW_CONFIDENTIAL_LOG = "view_confidential_log"
    CONFIRM_CHRONIC = "confirm_chronic"
    PLAN_MEETING = "plan_meeting"
    RUN_MEETING = "run_meeting"
    ATTEND_MEETING = "attend_meeting"
    PROPOSE_AGENDA_ITEM = "propose_agenda_item"
    VOTE = "vote"
    CREATE_ACTION = "create_action"
    UPDATE_ACTION = "update_action"
    VOLUNTEER = "volunteer"
    EDIT_MINUTES = "edit_minutes"
    PUBLISH_MINUTES = "publish_minutes"
    PRINT_PACK = "print_pack"


RULES: dict[Perm, frozenset[str]] = {
    Perm.VIEW_MEMBERS: frozenset({Role.CHAIR, Role.MINUTE_TAKER, Role.OFFICE, COORDINATOR}),
    Perm.MANAGE_MEMBERS: frozenset({Role.CHAIR, COORDINATOR}),
    Perm.SET_ROLES: frozenset({Role.CHAIR, COORDINATOR}),
    Perm.PRINT_INVITE_CODES: frozenset({Role.CHAIR, Role.OFFICE, COORDINATOR}),
    Perm.VIEW_CONFIDENTIAL: frozenset({Role.CHAIR, Role.PROFESSIONAL, Role.OFFICE, COORDINATOR}),
    Perm.ENTER_FOR_RESIDENT: frozenset({Role.CHAIR, Role.OFFICE, COORDINATOR}),
    Perm.VIEW_MAILINGS: frozenset({Role.CHAIR, COORDINATOR}),
    Perm.MANAGE_MAILINGS: frozenset({Role.CHAIR, COORDINATOR}),
    # Addresses blocked after bounces: the chair and the office hear of a new address first
    # (at the counter, at a meeting) and lift the block, with a reason that is logged.
    Perm.MANAGE_MAIL_BLOCKS: frozenset({Role.CHAIR, Role.OFFICE, COORDINATOR}),
    # Residents, the team and professionals report; only residents support (not the
    # professionals, whose organisations are asked to act).
    Perm.REPORT_PROBLEM: frozenset(
        {Role.RESIDENT, Role.CHAIR, Role.MINUTE_TAKER, Role.PROFESSIONAL, Role.OFFICE}
    ),
    Perm.SUPPORT_PROBLEM: frozenset({Role.RESIDENT, Role.CHAIR, Role.MINUTE_TAKER}),
    Perm.EDIT_PROBLEM: frozenset({Role.CHAIR, Role.OFFICE}),
    Perm.VIEW_CONFIDENTIAL_LOG: frozenset({Role.CHAIR, COORDINATOR}),
    # The chair ticks the four tests that make a problem chronic.
    Perm.CONFIRM_CHRONIC: frozenset({Role.CHAIR}),
    # Plan: move, cancel, build and publish the agenda, decide on proposals, the projector
    # link. Run: the agenda screen and attendance. A meeting's own chair and minute-taker
    # (a resident, when roles rotate) run that meeting too: see meetings.access.
    Perm.PLAN_MEETING: frozenset({Role.CHAIR, COORDINATOR}),
    Perm.RUN_MEETING: frozenset({Role.CHAIR, Role.MINUTE_TAKER, COORDINATOR}),
    # RSVP and check in: every member.
    Perm.ATTEND_MEETING: frozenset(
        {Role.RESIDENT, Role.CHAIR, Role.MINUTE_TAKER, Role.PROFESSIONAL, Role.OFFICE}
    ),
    Perm.PROPOSE_AGENDA_ITEM: frozenset(
        {Role.RESIDENT, Role.CHAIR, Role.MINUTE_TAKER, Role.PROFESSIONAL, Role.OFFICE}
    ),
    # Residents set the priorities; professionals, office staff and coordinators do not vote.
    Perm.VOTE: frozenset({Role.RESIDENT}),
    # Actions: the team agrees them between meetings (the agenda screen's Aanpak panel follows
    # RUN_MEETING). A professional creates and updates only their own organisation's actions
    # (meetings.actions.access); the chair and coordinators any. Residents sign up and judge.
    Perm.CREATE_ACTION: frozenset({Role.CHAIR, Role.PROFESSIONAL, COORDINATOR}),
    Perm.UPDATE_ACTION: frozenset({Role.CHAIR, Role.PROFESSIONAL, COORDINATOR}),
    Perm.VOLUNTEER: frozenset({Role.RESIDENT}),
    # Minutes: the minute-taker and the chair edit the draft; the chair finalises, publishes
    # and corrects; the neighbourhood office prints the pack for its notice board and counter.
    Perm.EDIT_MINUTES: frozenset({Role.CHAIR, Role.MINUTE_TAKER, COORDINATOR}),
    Perm.PUBLISH_MINUTES: frozenset({Role.CHAIR, COORDINATOR}),
    Perm.PRINT_PACK: frozenset({Role.CHAIR, Role.OFFICE, COORDINATOR}),
}

# Whoever can see confidential details must log in with a second factor.
SECOND_FACTOR_ROLES = RULES[Perm.VIEW_CONFIDENTIAL]


def _role_map(user: Any) -> tuple[dict[int, set[str]], set[int]]:
    """All active roles of the user, by neighbourhood id, and the municipalities coordinated.

    Cached on the user object, so a request asks the database once.
    """
    cached = getattr(user, "_buurt_roles", None)
    if cached is None:
        by_neighbourhood: dict[int, set[str]] = {}
        for nid, role in (
            Membership.objects.active().filter(user=user).values_list("neighbourhood_id", "role")
        ):
            by_neighbourhood.setdefault(nid, set()).add(role)
        municipalities = set(
            Coordinator.objects.filter(user=user).values_list("municipality_id", flat=True)
        )
        cached = (by_neighbourhood, municipalities)
        user._buurt_roles = cached
    return cached


def roles_in(user: Any, neighbourhood: Neighbourhood) -> frozenset[str]:
    if not user.is_authenticated:
        return frozenset()
    by_neighbourhood, municipalities = _role_map(user)
    roles = set(by_neighbourhood.get(neighbourhood.pk, set()))
    if neighbourhood.municipality_id in municipalities:
        roles.add(COORDINATOR)
    return frozenset(roles)


def can(user: Any, perm: Perm, neighbourhood: Neighbourhood) -> bool:
    return bool(roles_in(user, neighbourhood) & RULES[perm])


def needs_second_factor(user: Any) -> bool:
    if not user.is_authenticated:
        return False
    if user.is_staff:
        return True
    by_neighbourhood, municipalities = _role_map(user)
    return bool(municipalities) or any(
        roles & SECOND_FACTOR_ROLES for roles in by_neighbourhood.values()
    )


def neighbourhood_for(request: Any, slug: str, perm: Perm) -> Neighbourhood:
    """The neighbourhood named in the URL, if the user may do `perm` there; 403 otherwise."""
    neighbourhood = neighbourhood_or_404(slug)
    if not can(request.user, perm, neighbourhood):
        raise PermissionDenied
    return neighbourhood
