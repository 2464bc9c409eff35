"""Reads of neighbourhoods, memberships and invite codes for the residents' pages (and for the
pages above that show a neighbourhood). Writes are residents.services and residents.privacy."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone

from residents.models import InviteCode, Membership, Municipality, Neighbourhood, Role, User
from residents.services import house_number_value

# Memberships a person still holds or waits for: what leaving a neighbourhood ends.
ONGOING = (Membership.Status.ACTIVE, Membership.Status.PENDING)
ROLE_ORDER = {role: index for index, role in enumerate(Role.values)}
USED_CODES_SHOWN = 100

# --- Neighbourhoods ---------------------------------------------------------------------------


def neighbourhood_or_404(slug: str) -> Neighbourhood:
    """The neighbourhood with this slug and its municipality (one query); 404 if none."""
    return get_object_or_404(Neighbourhood.objects.select_related("municipality"), slug=slug)


def neighbourhoods_by_name() -> QuerySet[Neighbourhood]:
    """Every neighbourhood with its municipality, by name. Lazy: one query."""
    return Neighbourhood.objects.select_related("municipality").order_by("name", "pk")


def municipalities_with_neighbourhoods() -> QuerySet[Municipality]:
    """Every municipality with its neighbourhoods. Lazy: two queries."""
    return Municipality.objects.prefetch_related("neighbourhoods")


def neighbourhoods_not_covering(user: User) -> list[Neighbourhood]:
    """Neighbourhoods where the person is an active resident but their address is not (two
    queries; none without a postcode)."""
    if not user.postcode:
        return []
    hoods = Neighbourhood.objects.filter(
        memberships__user=user,
        memberships__role=Role.RESIDENT,
        memberships__status=Membership.Status.ACTIVE,
    ).prefetch_related("postcode_areas")
    number = house_number_value(user.house_number)
    return [hood for hood in hoods if not hood.covers(user.postcode, number)]


# --- One person's memberships -----------------------------------------------------------------


def current_memberships(user: Any) -> QuerySet[Membership]:
    """The person's memberships not left or rejected, with their neighbourhood. Lazy: one
    query; none for an anonymous visitor."""
    if not user.is_authenticated:
        return Membership.objects.none()
    return (
        Membership.objects.filter(user=user)
        .exclude(status__in=[Membership.Status.LEFT, Membership.Status.REJECTED])
        .select_related("neighbourhood")
    )


def memberships_in(user: Any, neighbourhood: Neighbourhood) -> list[Membership]:
    """All of the person's memberships here, whatever their status (one query; none for an
    anonymous visitor)."""
    if not user.is_authenticated:
        return []
    return list(Membership.objects.filter(user=user, neighbourhood=neighbourhood))


def resident_membership(user: User, neighbourhood: Neighbourhood) -> Membership | None:
    """The person's membership as a resident here, if any (one query)."""
    return Membership.objects.filter(
        user=user, neighbourhood=neighbourhood, role=Role.RESIDENT
    ).first()


def has_pending_membership(user: User, neighbourhood: Neighbourhood) -> bool:
    """The person waits for the chair's decision on joining here (one query)."""
    return Membership.objects.pending().filter(user=user, neighbourhood=neighbourhood).exists()


def ongoing_memberships_in(user: User, neighbourhood: Neighbourhood) -> list[Membership]:
    """The person's active and pending memberships here (one query)."""
    return list(
        Membership.objects.filter(user=user, neighbourhood=neighbourhood, status__in=ONGOING)
    )


def ongoing_memberships(user: User) -> QuerySet[Membership]:
    """The person's active and pending memberships everywhere, by neighbourhood's name, with
    the neighbourhood. Lazy: one query."""
    return (
        Membership.objects.filter(user=user, status__in=ONGOING)
        .select_related("neighbourhood")
        .order_by("neighbourhood__name", "role")
    )


def membership_groups(user: User) -> list[dict[str, Any]]:
    """The person's memberships of any status grouped per neighbourhood (by name), each group
    with whether there is something to leave (one query)."""
    memberships = (
        Membership.objects.filter(user=user)
        .select_related("neighbourhood", "organisation")
        .order_by("neighbourhood__name", "role")
    )
    groups: dict[int, dict[str, Any]] = {}
    for membership in memberships:
        group = groups.setdefault(
            membership.neighbourhood_id,
            {"neighbourhood": membership.neighbourhood, "memberships": [], "can_leave": False},
        )
        group["memberships"].append(membership)
        group["can_leave"] = group["can_leave"] or membership.status in ONGOING
    return list(groups.values())


# --- A neighbourhood's members ----------------------------------------------------------------


@dataclass
class Member:
    """One person on the members page, with all their active roles here."""

    user: User
    memberships: list[Membership] = field(default_factory=list)


def applications_awaiting_decision(neighbourhood: Neighbourhood) -> list[Membership]:
    """Applications the chair can decide on, oldest first, with the applicant (one query)."""
    return list(
        Membership.objects.awaiting_decision()
        .filter(neighbourhood=neighbourhood)
        .select_related("user")
        .order_by("created_at", "pk")
    )


def active_members(neighbourhood: Neighbourhood) -> list[Member]:
    """The active members by name, each with their roles here in Role order (one query)."""
    people: dict[int, Member] = {}
    for membership in (
        Membership.objects.active()
        .filter(neighbourhood=neighbourhood)
        .select_related("user", "organisation")
        .order_by("user__display_name", "user_id")
    ):
        people.setdefault(membership.user_id, Member(membership.user)).memberships.append(
            membership
        )
    for person in people.values():
        person.memberships.sort(key=lambda m: ROLE_ORDER.get(m.role, len(ROLE_ORDER)))
    return list(people.values())


def active_memberships_of(neighbourhood: Neighbourhood, user_id: int) -> list[Membership]:
    """One person's active memberships here, with the person and organisation (one query)."""
    return list(
        Membership.objects.active()
        .filter(neighbourhood=neighbourhood, user_id=user_id)
        .select_related("user", "organisation")
    )


# --- Invite codes -----------------------------------------------------------------------------


def usable_invite_codes(neighbourhood: Neighbourhood, *, now: datetime) -> list[InviteCode]:
    """Codes not used and not expired at `now`, newest first (one query)."""
    return list(
        InviteCode.objects.filter(
            neighbourhood=neighbourhood, used_at__isnull=True, expires_at__gt=now
        ).order_by("-created_at", "-pk")
    )


def finished_invite_codes(neighbourhood: Neighbourhood, *, now: datetime) -> list[InviteCode]:
    """The newest USED_CODES_SHOWN codes used or expired at `now`, with who used them (one
    query)."""
    return list(
        InviteCode.objects.filter(neighbourhood=neighbourhood)
        .filter(Q(used_at__isnull=False) | Q(expires_at__lte=now))
        .select_related("used_by")
        .order_by("-created_at", "-pk")[:USED_CODES_SHOWN]
    )


def printable_invite_codes(neighbourhood: Neighbourhood, batch: str = "") -> QuerySet[InviteCode]:
    """Usable codes without an e-mail address (for the printed sheet), optionally only those in
    a batch ("first-last" primary keys), in order. Lazy: one query."""
    codes = InviteCode.objects.filter(
        neighbourhood=neighbourhood, used_at__isnull=True, expires_at__gt=timezone.now(), email=""
    )
    match = re.fullmatch(r"(\d{1,18})-(\d{1,18})", batch or "")
    if match:
        codes = codes.filter(pk__range=(int(match.group(1)), int(match.group(2))))
    return codes.order_by("pk")
