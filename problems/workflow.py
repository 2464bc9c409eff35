"""A problem's statuses, the transitions between them, and who may make each: one table.

Services check every status change against TRANSITIONS; the tests iterate over it. Besides
roles (residents.permissions), two actors are not people: a closed priority round and a
recorded meeting decision (later issues call the services with them).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from residents.models import Role


class Status(models.TextChoices):
    NEW = "new", pgettext_lazy("problem status", "New")
    ACCEPTED = "accepted", pgettext_lazy("problem status", "Accepted")
    DECLINED = "declined", pgettext_lazy("problem status", "Declined")
    CANDIDATE = "candidate", pgettext_lazy("problem status", "Candidate for priority")
    PRIORITY = "priority", pgettext_lazy("problem status", "Priority")
    RESOLVED = "resolved", pgettext_lazy("problem status", "Resolved")
    PARKED = "parked", pgettext_lazy("problem status", "Parked")
    MERGED = "merged", pgettext_lazy("problem status", "Merged")


# Still being worked on: these can be supported, merged and flagged as chronic.
OPEN = frozenset({Status.NEW, Status.ACCEPTED, Status.CANDIDATE, Status.PRIORITY})
# Accepted and still open (OPEN without NEW): the problems the neighbourhood works on. Only
# these are supported, merged into, confirmed as chronic, analysed and given actions
# (Problem.objects.actionable(), Problem.is_actionable). Not to be confused with the current
# priorities (Status.PRIORITY, Problem.objects.priorities()), one status among these.
ACTIONABLE = OPEN - {Status.NEW}
# Statuses a public problem can have; it must also have been accepted once (models.PUBLIC_Q):
# a report declined, or merged as a duplicate, straight from "new" stays private.
PUBLIC = frozenset(Status) - {Status.NEW}

# Actors that are not roles.
ROUND = "priority_round"  # a priority round being closed (problems.rounds, later issue)
MEETING = "meeting_decision"  # a decision recorded at a meeting (later issue)


class Move(models.TextChoices):
    """What a timeline entry records. The first ones are status transitions."""

    ACCEPT = "accept", _("Accepted")
    DECLINE = "decline", _("Declined")
    NOMINATE = "nominate", _("Put forward for the priority round")
    PRIORITISE = "prioritise", _("Chosen as a priority")
    NOT_CHOSEN = "not_chosen", _("Not chosen; stays on the register")
    RESOLVE = "resolve", _("Resolved")
    PARK = "park", _("Parked")
    REOPEN = "reopen", _("Reopened")
    MERGE = "merge", _("Merged into another problem")
    # Not status transitions:
    REPORT = "report", _("Reported")
    MERGED_IN = "merged_in", _("Another report was merged into this one")
    EDIT = "edit", _("Edited")
    CHRONIC = "chronic", _("Confirmed as chronic")
    REOPEN_REQUEST = "reopen_request", _("A resident asked to reopen it")


@dataclass(frozen=True)
class Transition:
    move: Move
    sources: frozenset[Status]
    target: Status
    actors: frozenset[str]  # roles (residents.models.Role, COORDINATOR) or ROUND / MEETING
    needs_public_note: bool = False  # a public reason is required

    def label(self) -> str:
        return str(self.move.label)


def _t(
    move: Move, sources: set[Status], target: Status, actors: set[str], **kw: bool
) -> Transition:
    return Transition(move, frozenset(sources), target, frozenset(actors), **kw)


TRANSITIONS: tuple[Transition, ...] = (
    _t(Move.ACCEPT, {Status.NEW}, Status.ACCEPTED, {Role.CHAIR, Role.OFFICE}),
    _t(
        Move.DECLINE,
        {Status.NEW},
        Status.DECLINED,
        {Role.CHAIR, Role.OFFICE},
        needs_public_note=True,
    ),
    _t(Move.NOMINATE, {Status.ACCEPTED}, Status.CANDIDATE, {Role.CHAIR}),
    _t(Move.PRIORITISE, {Status.CANDIDATE}, Status.PRIORITY, {ROUND}),
    _t(Move.NOT_CHOSEN, {Status.CANDIDATE}, Status.ACCEPTED, {ROUND, Role.CHAIR}),
    _t(Move.RESOLVE, {Status.PRIORITY}, Status.RESOLVED, {MEETING}),
    _t(
        Move.PARK,
        {Status.PRIORITY, Status.ACCEPTED},
        Status.PARKED,
        {Role.CHAIR},
        needs_public_note=True,
    ),
    _t(
        Move.REOPEN,
        {Status.RESOLVED, Status.PARKED, Status.DECLINED},
        Status.ACCEPTED,
        {Role.CHAIR},
    ),
    _t(Move.MERGE, set(OPEN), Status.MERGED, {Role.CHAIR}),
)

BY_MOVE: dict[Move, Transition] = {t.move: t for t in TRANSITIONS}


def transitions_from(status: str, actors: frozenset[str] | set[str]) -> list[Transition]:
    """The transitions these actors may make from `status`, in table order."""
    return [t for t in TRANSITIONS if status in t.sources and t.actors & actors]


def allowed(move: Move, status: str, actors: frozenset[str] | set[str]) -> bool:
    transition = BY_MOVE.get(move)
    return (
        transition is not None and status in transition.sources and bool(transition.actors & actors)
    )
