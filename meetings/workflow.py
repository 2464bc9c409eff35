"""A meeting's statuses, the transitions between them, and what each status allows: one table.

meetings.services (and minutes_services for the minutes) check every status change
against TRANSITIONS; views, templates (through Meeting's properties), mail and sections ask
the named sets and predicates below instead of listing statuses themselves. The tests iterate
over the table (tests/meetings/test_workflow.py).

A status alone never says whether something is still possible when time matters too: those
rules are functions of the meeting and `now` (rsvp_open, proposals_open, minutes_draftable,
not_over).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Status(models.TextChoices):
    """Meeting.Status (the model keeps that name for it)."""

    PLANNED = "planned", _("Planned")
    AGENDA_PUBLISHED = "agenda_published", _("Agenda published")
    IN_PROGRESS = "in_progress", _("In progress")
    CLOSED = "closed", _("Closed")
    MINUTES_PUBLISHED = "minutes_published", _("Minutes published")
    CANCELLED = "cancelled", _("Cancelled")


# --- What a status says about the meeting ------------------------------------------------------

BEFORE = frozenset({Status.PLANNED, Status.AGENDA_PUBLISHED})
"""Still to come: neither started nor cancelled."""

OVER = frozenset({Status.CLOSED, Status.MINUTES_PUBLISHED})
"""Closed on the agenda screen, whether or not its minutes are out yet."""

LIVE = frozenset({Status.IN_PROGRESS})
"""Under way: the agenda screen moves between items and times them."""

NOT_OVER = BEFORE | LIVE
"""Still to come or under way: not cancelled and not closed."""

PUBLIC_AGENDA = frozenset(Status) - {Status.PLANNED, Status.CANCELLED}
"""The agenda is published: everyone may read it, also after the meeting. A planned meeting's
agenda is a draft for the team; a cancelled one has none."""

AGENDA_EDITABLE = NOT_OVER
"""The agenda can be edited until the meeting closes (also live, during the meeting)."""

CHANGEABLE = BEFORE
"""The meeting can still be moved or cancelled (residents are told by e-mail)."""

RSVP_OPEN = NOT_OVER
"""Residents can say whether they come (see rsvp_open: not after the meeting's end either)."""

PROPOSALS_OPEN = BEFORE
"""Residents can propose agenda items (see proposals_open: only before the start)."""

CHECK_IN_OPEN = NOT_OVER
"""Residents can check themselves in with the projector's QR code (meeting_services.check_in
adds: on the day of the meeting)."""

RECORDABLE = NOT_OVER | {Status.CLOSED}
"""The meeting's own record can still change: attendance, walk-ins, the items' notes and
decisions. Until the minutes are published; never for a cancelled meeting."""

NEW_ROUND = NOT_OVER
"""The meeting can still get a priority round: it is not cancelled and not over."""

TAKES_PLACE = BEFORE
"""The meeting still takes place: the reminder mail goes out (never for a cancelled one)."""

AGENDA_ON_PROJECTOR = PUBLIC_AGENDA & NOT_OVER
"""The projector lists the agenda: it is published and the meeting is not over."""


# --- Rules that also depend on the time ---------------------------------------------------------


class Timed(Protocol):
    """A meeting as these rules read it (a Meeting, or a row with these fields)."""

    @property
    def status(self) -> str: ...
    @property
    def starts_at(self) -> datetime: ...
    @property
    def ends_at(self) -> datetime: ...


def rsvp_open(meeting: Timed, now: datetime) -> bool:
    """Whether "are you coming?" can still be answered: until the meeting's end."""
    return meeting.status in RSVP_OPEN and meeting.ends_at >= now


def proposals_open(meeting: Timed, now: datetime) -> bool:
    """Whether residents can still propose an agenda item: until the meeting starts."""
    return meeting.status in PROPOSALS_OPEN and meeting.starts_at > now


def minutes_draftable(meeting: Timed, now: datetime) -> bool:
    """Whether the minutes can be drafted: once the meeting is over (closed on the agenda
    screen, or never started there and simply past its end)."""
    if meeting.status in OVER:
        return True
    return meeting.status in BEFORE and meeting.ends_at <= now


def not_over(meeting: Timed, now: datetime) -> bool:
    """Still to come or under way: not cancelled, not closed, and not past its end."""
    return meeting.status in NOT_OVER and meeting.ends_at >= now


def not_over_q(now: datetime) -> Q:
    """not_over as a filter on meetings."""
    return Q(status__in=NOT_OVER, ends_at__gte=now)


# --- Transitions ----------------------------------------------------------------------------------


class Move(StrEnum):
    PUBLISH_AGENDA = "publish_agenda"  # meeting_services.agenda_publish
    UNPUBLISH_AGENDA = "unpublish_agenda"  # meeting_services.agenda_unpublish
    START = "start"  # meeting_services.meeting_start
    CLOSE = "close"  # meeting_services.meeting_close
    CANCEL = "cancel"  # meeting_services.meeting_cancel
    PUBLISH_MINUTES = "publish_minutes"  # minutes_services.minutes_publish


@dataclass(frozen=True)
class Transition:
    move: Move
    sources: frozenset[Status]
    target: Status


TRANSITIONS: tuple[Transition, ...] = (
    Transition(Move.PUBLISH_AGENDA, frozenset({Status.PLANNED}), Status.AGENDA_PUBLISHED),
    # Published by mistake: back to a draft, only before the meeting starts.
    Transition(Move.UNPUBLISH_AGENDA, frozenset({Status.AGENDA_PUBLISHED}), Status.PLANNED),
    Transition(Move.START, BEFORE, Status.IN_PROGRESS),
    Transition(Move.CANCEL, CHANGEABLE, Status.CANCELLED),
    Transition(Move.CLOSE, frozenset({Status.IN_PROGRESS}), Status.CLOSED),
    # Minutes of a meeting that was never closed on the agenda screen leave its status alone.
    Transition(Move.PUBLISH_MINUTES, frozenset({Status.CLOSED}), Status.MINUTES_PUBLISHED),
)

BY_MOVE: dict[Move, Transition] = {t.move: t for t in TRANSITIONS}


def allowed(move: Move, status: str) -> bool:
    """Whether `move` can be made from `status`."""
    return status in BY_MOVE[move].sources
