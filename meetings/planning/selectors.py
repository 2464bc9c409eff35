"""Reads of planning: the list of meetings, a meeting's agenda, RSVPs and proposals.

Each runs a fixed number of queries, whatever the number of meetings, items or problems; the
agenda loads of a problem only its public fields (never a reporter or confidential details).
No writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db.models import Count, Prefetch, QuerySet

from meetings.planning.models import AgendaItem, AgendaItemProblem, AgendaProposal, Meeting, Rsvp
from meetings.rounds.models import PriorityRound
from problems.models import PUBLIC_Q, Problem
from residents.models import Neighbourhood, User

# What a public agenda row loads of a problem: never its reporter or confidential details.
PUBLIC_PROBLEM_FIELDS = (
    "item_id",
    "position",
    "problem__id",
    "problem__neighbourhood_id",
    "problem__category_id",
    "problem__title",
    "problem__sensitive",
    "problem__public_summary",
    "problem__street",
    "problem__status",
    "problem__support_count",
    "problem__accepted_at",
    "problem__category__name",
    "problem__category__name_en",
)
ITEM_FIELDS = ("id", "meeting_id", "position", "kind", "title", "description", "minutes")


# --- The agenda -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgendaRow:
    """One agenda item with its planned times (the meeting's start plus the items before it)."""

    item: AgendaItem
    number: int
    starts_at: datetime
    ends_at: datetime
    problems: list[Problem] = field(default_factory=list)


def _agenda_items(meeting: Meeting, *, with_problems: bool) -> list[AgendaItem]:
    """The items in order, each with `public_links`: its public problems."""
    items = meeting.items.only(*ITEM_FIELDS).order_by("position", "pk")
    if with_problems:
        links = (
            AgendaItemProblem.objects.filter(problem__in=Problem.objects.filter(PUBLIC_Q))
            .select_related("problem__category")
            .only(*PUBLIC_PROBLEM_FIELDS)
            .order_by("position", "pk")
        )
        items = items.prefetch_related(Prefetch("links", queryset=links, to_attr="public_links"))
    return list(items)


def agenda_rows(meeting: Meeting, *, with_problems: bool = True) -> list[AgendaRow]:
    """The agenda in order with each item's planned times and, `with_problems`, its public
    problems (two queries; one without problems)."""
    rows = []
    start = meeting.starts_at
    for number, item in enumerate(_agenda_items(meeting, with_problems=with_problems), start=1):
        end = start + timedelta(minutes=item.minutes)
        problems = [link.problem for link in getattr(item, "public_links", [])]
        rows.append(AgendaRow(item, number, start, end, problems))
        start = end
    return rows


def upcoming_agenda(meeting: Meeting | None) -> list[AgendaRow]:
    """The published agenda of a meeting (titles and times), for the neighbourhood page (one
    query; none before it is published)."""
    if meeting is None or not meeting.agenda_public:
        return []
    return agenda_rows(meeting, with_problems=False)


def new_problems_item_exists(meeting: Meeting) -> bool:
    """Whether the agenda has an item "New problems" (one query)."""
    return meeting.items.filter(kind=AgendaItem.Kind.NEW_PROBLEMS).exists()


def item_problem_ids(item: AgendaItem) -> list[int]:
    """The ids of the problems under an item, in agenda order (one query)."""
    return list(item.links.order_by("position", "pk").values_list("problem_id", flat=True))


# --- The list of meetings -------------------------------------------------------------------------


def meetings_upcoming(neighbourhood: Neighbourhood, now: datetime) -> list[Meeting]:
    """The neighbourhood's meetings that have not ended (cancelled ones too), soonest first,
    sharing `neighbourhood` (one query)."""
    upcoming = list(
        Meeting.objects.for_neighbourhood(neighbourhood)
        .filter(ends_at__gte=now)
        .order_by("starts_at")
    )
    for meeting in upcoming:
        meeting.neighbourhood = neighbourhood
    return upcoming


def meetings_past(neighbourhood: Neighbourhood, now: datetime) -> QuerySet[Meeting, Any]:
    """The neighbourhood's meetings that have ended, the latest first (lazy: a page of it and
    its count are one query each)."""
    return (
        Meeting.objects.for_neighbourhood(neighbourhood)
        .filter(ends_at__lt=now)
        .order_by("-starts_at", "-pk")
    )


# --- RSVPs, proposals and the vote call -----------------------------------------------------------


def rsvp_answer(meeting: Meeting, user: User) -> str | None:
    """The person's answer to "are you coming?", if they gave one (one query)."""
    return Rsvp.objects.filter(meeting=meeting, user=user).values_list("answer", flat=True).first()


def rsvp_counts(meeting: Meeting) -> dict[str, int]:
    """How many gave each answer, by answer (one query)."""
    return dict(
        Rsvp.objects.filter(meeting=meeting)
        .values_list("answer")
        .annotate(n=Count("pk"))
        .values_list("answer", "n")
        .order_by()
    )


def proposals_by(meeting: Meeting, user: User) -> list[AgendaProposal]:
    """The person's own proposals for the meeting, oldest first (one query)."""
    return list(
        AgendaProposal.objects.filter(meeting=meeting, proposed_by=user).order_by(
            "created_at", "pk"
        )
    )


def proposal_pending_exists(meeting: Meeting, user: User, *, title: str, description: str) -> bool:
    """Whether the person has a pending proposal with this title and description (one
    query)."""
    return AgendaProposal.objects.filter(
        meeting=meeting,
        proposed_by=user,
        title=title,
        description=description,
        status=AgendaProposal.Status.PENDING,
    ).exists()


def proposals_for_editor(meeting: Meeting) -> list[AgendaProposal]:
    """All proposals for the meeting with who proposed them and the item an accepted one
    became, oldest first (one query)."""
    return list(
        AgendaProposal.objects.filter(meeting=meeting)
        .select_related("proposed_by", "item")
        .order_by("created_at", "pk")
    )


def open_priority_round(meeting: Meeting) -> PriorityRound | None:
    """The meeting's priority round while residents can vote in it (one query)."""
    return PriorityRound.objects.filter(meeting=meeting, status=PriorityRound.Status.OPEN).first()
