"""Who may do what with an action: the helpers every action view fetches through.

action = action_for(request, slug, pk)             # anyone: 404 unless public or for the team
action = action_for_updater(request, slug, pk)     # the owner organisation, chair, coordinator

The permission table (residents.permissions) says who may create and update actions at all;
this adds the object rule: a professional acts only for their own organisation. The agenda
screen's panels follow the meeting's runners instead (meetings.access).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from meetings.actions.models import Action
from residents.models import Membership, Neighbourhood, Organisation, Role
from residents.permissions import COORDINATOR, Perm, can, roles_in

# These update any action of their neighbourhood; professionals only their organisation's.
ANY_ACTION = frozenset({Role.CHAIR, COORDINATOR})


def organisations_of(user: Any) -> dict[int, set[int]]:
    """The organisations a person acts for as a professional, by neighbourhood id.

    Cached on the user object: one query per request.
    """
    cached = getattr(user, "_buurt_organisations", None)
    if cached is None:
        cached = {}
        if user.is_authenticated:
            for nid, oid in (
                Membership.objects.active()
                .filter(user=user, role=Role.PROFESSIONAL, organisation__isnull=False)
                .values_list("neighbourhood_id", "organisation_id")
            ):
                cached.setdefault(nid, set()).add(oid)
        user._buurt_organisations = cached
    return cached


def may_act_for(user: Any, neighbourhood: Neighbourhood, organisation_id: int | None) -> bool:
    """Whether the user may create or update an action owned by this organisation here.

    `None` is a residents' own action: the chair and coordinators keep those.
    """
    roles = roles_in(user, neighbourhood)
    if roles & ANY_ACTION:
        return True
    if Role.PROFESSIONAL not in roles or organisation_id is None:
        return False
    return organisation_id in organisations_of(user).get(neighbourhood.pk, set())


def may_update(user: Any, action: Action) -> bool:
    return can(user, Perm.UPDATE_ACTION, action.neighbourhood) and may_act_for(
        user, action.neighbourhood, action.owner_organisation_id
    )


def owner_choices(user: Any, neighbourhood: Neighbourhood) -> list[Organisation]:
    """The organisations this user may name as an action's owner here."""
    if roles_in(user, neighbourhood) & ANY_ACTION:
        return list(Organisation.objects.order_by("name"))
    own = organisations_of(user).get(neighbourhood.pk, set())
    return list(Organisation.objects.filter(pk__in=own).order_by("name"))


def _load(slug: str, pk: int) -> Action:
    return get_object_or_404(
        Action.objects.for_list().select_related("neighbourhood__municipality"),
        pk=pk,
        neighbourhood__slug=slug,
    )


def action_for(request: Any, slug: str, pk: int) -> Action:
    """An action, for anyone who may see its problem (public once the problem is)."""
    action = _load(slug, pk)
    if not action.problem.is_public and not can(
        request.user, Perm.VIEW_CONFIDENTIAL, action.neighbourhood
    ):
        raise Http404
    return action


def action_for_updater(request: Any, slug: str, pk: int) -> Action:
    action = _load(slug, pk)
    if not may_update(request.user, action):
        raise PermissionDenied
    return action
