"""Reads of the room: the agenda screen, the projector, attendance and the panels.

Each returns what its screen shows and runs a fixed number of queries, whatever the number of
items, problems or people (the screens' query counts are asserted at two sizes). No writes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Prefetch, Q, QuerySet

from meetings.planning.models import AgendaItem, AgendaItemProblem, Meeting
from meetings.room.models import Attendance
from problems.models import PUBLIC_Q, Problem, TimelineEntry
from problems.workflow import OPEN, PUBLIC, Status
from residents.models import Membership, Neighbourhood, Organisation, Role, User

# --- The agenda and the item's problems ---------------------------------------------------------


def agenda_items_in_order(meeting: Meeting) -> list[AgendaItem]:
    """The meeting's items in agenda order, sharing `meeting` (one query)."""
    items = list(AgendaItem.objects.filter(meeting=meeting).order_by("position", "pk"))
    for item in items:
        item.meeting = meeting  # shared: no query per item for the meeting or its slug
    return items


def meeting_reloaded(meeting: Meeting) -> Meeting:
    """The meeting as it is now, keeping the neighbourhood already loaded (one query)."""
    fresh = Meeting.objects.get(pk=meeting.pk)
    fresh.neighbourhood = meeting.neighbourhood
    return fresh


def _item_links(item: AgendaItem, *, public_only: bool) -> QuerySet[AgendaItemProblem]:
    """The item's problem links with each problem's category; with `public_only` only problems
    everyone may see (a chair may have put a report on the agenda that is not accepted yet)."""
    links = AgendaItemProblem.objects.filter(item=item).select_related("problem__category")
    if public_only:
        links = links.filter(problem__status__in=PUBLIC, problem__accepted_at__isnull=False)
    return links


def item_problems_with_recent(
    item: AgendaItem, *, team: bool, confidential: bool, recent: int
) -> list[Problem]:
    """The item's problems in agenda order, each with `recent_entries`: its last `recent`
    timeline entries (two queries). Outside the team only public problems; with
    `confidential` also their reporter and who entered them."""
    links = _item_links(item, public_only=not team)
    if confidential:
        links = links.select_related("problem__reporter", "problem__entered_by")
    entries = TimelineEntry.objects.order_by("-at", "-pk")[:recent]
    links = links.prefetch_related(
        Prefetch("problem__timeline", queryset=entries, to_attr="recent_entries")
    ).order_by("position", "pk")
    return [link.problem for link in links]


def item_problems_by_support(item: AgendaItem, *, public_only: bool) -> list[Problem]:
    """The item's problems, most supported first (one query)."""
    links = _item_links(item, public_only=public_only)
    return [link.problem for link in links.order_by("-problem__support_count", "position", "pk")]


def item_public_problems(item: AgendaItem) -> list[Problem]:
    """The item's public problems in agenda order, loading only their public fields (one
    query)."""
    links = (
        _item_links(item, public_only=True)
        .only(
            "position",
            "item_id",
            "problem__id",
            "problem__title",
            "problem__sensitive",
            "problem__public_summary",
            "problem__street",
            "problem__location_detail",
            "problem__support_count",
            "problem__category__name",
            "problem__category__name_en",
        )
        .order_by("position", "pk")
    )
    return [link.problem for link in links]


# --- The projector --------------------------------------------------------------------------------


def meeting_by_projector_key(key: str) -> Meeting | None:
    """The meeting this projector key opens, with what the stage shows of it (one query)."""
    try:
        return Meeting.objects.select_related(
            "neighbourhood", "current_item", "priority_round"
        ).get(projector_key=key)
    except Meeting.DoesNotExist:
        return None


def meeting_state_by_projector_key(key: str) -> tuple[int, str, int | None] | None:
    """The meeting's version, status and its priority round's version, by projector key: what
    the poll's ETag names (one indexed query)."""
    try:
        return Meeting.objects.values_list("version", "status", "priority_round__version").get(
            projector_key=key
        )
    except Meeting.DoesNotExist:
        return None


def projector_agenda_items(meeting: Meeting) -> list[AgendaItem]:
    """The agenda as the projector lists it: only what it shows of each item (one query)."""
    return list(meeting.items.only("position", "kind", "title", "minutes", "done_at", "meeting_id"))


# --- Attendance -----------------------------------------------------------------------------------


@dataclass
class Found:
    """One member found by the name search, with their roles here."""

    user: User
    roles: list[str] = field(default_factory=list)
    organisation: str = ""
    present: bool = False

    @property
    def paper(self) -> bool:
        return self.user.is_paper_resident


def attendance_rows(meeting: Meeting) -> list[Attendance]:
    """Everyone on the meeting's attendance list, with what the attendance screen and the
    opening panel show of their account and organisation (one query)."""
    return list(
        Attendance.objects.filter(meeting=meeting)
        .select_related("user", "organisation")
        .only(
            "kind",
            "source",
            "newcomer",
            "name",
            "meeting_id",
            "created_at",
            "user__display_name",
            "user__email",
            "user__consent_named_in_minutes",
            "organisation__name",
        )
    )


def professional_organisations(meeting: Meeting, user_ids: list[int]) -> dict[int, str]:
    """The organisation of each of these professionals by their membership here, the first
    one when they have several (one query; none without user ids)."""
    organisations: dict[int, str] = {}
    if not user_ids:
        return organisations
    for user_id, name in (
        Membership.objects.active()
        .filter(
            neighbourhood=meeting.neighbourhood_id,
            role=Role.PROFESSIONAL,
            user_id__in=user_ids,
            organisation__isnull=False,
        )
        .order_by("pk")
        .values_list("user_id", "organisation__name")
    ):
        organisations.setdefault(user_id, name)
    return organisations


def members_matching(
    neighbourhood: Neighbourhood, words: list[str], limit: int
) -> tuple[list[Found], bool]:
    """Active members of this neighbourhood whose name contains every word (one query; none
    without words), and whether there are more than `limit`."""
    if not words:
        return [], False
    memberships = Membership.objects.active().filter(
        neighbourhood=neighbourhood, user__is_active=True
    )
    for word in words:
        memberships = memberships.filter(user__display_name__icontains=word)
    # A person has at most one membership per role: this many rows hold limit + 1 people.
    cap = (limit + 1) * len(Role.values)
    found: dict[int, Found] = {}
    for membership in memberships.select_related("user", "organisation").order_by(
        "user__display_name", "user_id", "role"
    )[:cap]:
        person = found.setdefault(membership.user_id, Found(user=membership.user))
        person.roles.append(str(membership.get_role_display()))
        if membership.role == Role.PROFESSIONAL and membership.organisation:
            person.organisation = membership.organisation.name
    people = list(found.values())
    return people[:limit], len(people) > limit


def present_user_ids(meeting: Meeting, user_ids: list[int]) -> set[int]:
    """Which of these people are on the meeting's attendance list (one query)."""
    return set(
        Attendance.objects.filter(meeting=meeting, user_id__in=user_ids).values_list(
            "user_id", flat=True
        )
    )


def professional_membership(user: User, neighbourhood: Neighbourhood) -> Membership | None:
    """The person's active professional membership here, with its organisation (one query)."""
    return (
        Membership.objects.active()
        .filter(user=user, neighbourhood=neighbourhood, role=Role.PROFESSIONAL)
        .select_related("organisation")
        .first()
    )


def guest_on_list(meeting: Meeting, name: str, organisation: Organisation) -> bool:
    """Whether a visitor without an account of this name and organisation is on the list
    (one query)."""
    return Attendance.objects.filter(
        meeting=meeting, user=None, name__iexact=name, organisation=organisation
    ).exists()


def own_attendance(meeting: Meeting, user: User) -> Attendance | None:
    """The person's own row on the attendance list, if any: only whether it is their first
    meeting (one query)."""
    return Attendance.objects.filter(meeting=meeting, user=user).only("newcomer").first()


# --- The panels -----------------------------------------------------------------------------------


def attendance_counts(meeting: Meeting) -> dict[str, int]:
    """`people` on the attendance list and how many of them are `newcomers` (one query)."""
    return Attendance.objects.filter(meeting=meeting).aggregate(
        people=Count("pk"), newcomers=Count("pk", filter=Q(newcomer=True))
    )


def _public_problems(neighbourhood_id: int) -> QuerySet[Problem, Any]:
    return Problem.objects.for_neighbourhood(neighbourhood_id).filter(PUBLIC_Q)


def public_problem_counts(neighbourhood_id: int, since: datetime) -> dict[str, int]:
    """The neighbourhood's `open` public problems and those `new` since `since` (one query)."""
    return _public_problems(neighbourhood_id).aggregate(
        open=Count("pk", filter=Q(status__in=OPEN)),
        new=Count("pk", filter=Q(accepted_at__gte=since)),
    )


def public_priorities(neighbourhood_id: int) -> list[Problem]:
    """The neighbourhood's current priorities, most supported first, with only their public
    fields (one query)."""
    return list(
        _public_problems(neighbourhood_id)
        .filter(status=Status.PRIORITY)
        .select_related("category")
        .only(
            "title",
            "sensitive",
            "public_summary",
            "street",
            "support_count",
            "category__name",
            "category__name_en",
        )
        .order_by("-support_count", "pk")
    )
