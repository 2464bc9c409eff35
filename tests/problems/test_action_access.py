"""Who may update an action (meetings.actions.access): the chair and coordinators any action
of their neighbourhood, a professional only their own organisation's actions in the
neighbourhoods where they hold that role; everyone else nobody's. Persona by persona, plus the
helpers every action view fetches through."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.test import RequestFactory
from django.utils import timezone

from meetings.actions.access import (
    action_for,
    action_for_updater,
    may_act_for,
    may_update,
    organisations_of,
    owner_choices,
)
from meetings.actions.models import Action
from meetings.actions.services import action_create
from problems.models import Problem
from problems.workflow import Status
from residents.models import Membership, Organisation, Role, User
from residents.permissions import Perm, can
from tests.conftest import PERSONA_NAMES, Personas, make_person

PEOPLE = [*PERSONA_NAMES, "paper_resident"]
# Who may update an action, by its owner organisation. A residents' own action (no
# organisation) stays with the chair and the coordinators.
MAY_UPDATE: dict[str | None, set[str]] = {
    "police": {"chair", "coordinator", "wijkagent"},
    "housing": {"chair", "coordinator", "housing_contact"},
    None: {"chair", "coordinator"},
}


def user_of(personas: Personas, name: str) -> Any:
    """A fresh user object: nothing cached from an earlier check."""
    user = personas.by_name(name)
    return AnonymousUser() if user is None else User.objects.get(pk=user.pk)


def agree(personas: Personas, problem: Problem, organisation: Organisation | None) -> Action:
    return action_create(
        problem=problem,
        actor=personas.chair,
        role=Role.CHAIR,
        outcome=f"Glasbak wordt geleegd ({organisation or 'bewoners'})",
        due_date=timezone.localdate() + timedelta(days=14),
        owner_organisation=organisation,
    )


@pytest.fixture
def problem(make_problem) -> Problem:
    return make_problem(Status.PRIORITY)


@pytest.fixture
def actions(personas, problem) -> dict[str | None, Action]:
    return {
        "police": agree(personas, problem, personas.police),
        "housing": agree(personas, problem, personas.housing),
        None: agree(personas, problem, None),
    }


def request_as(user: Any) -> Any:
    request = RequestFactory().get("/")
    request.user = user
    return request


@pytest.mark.parametrize("owner", list(MAY_UPDATE))
@pytest.mark.parametrize("persona", PEOPLE)
def test_who_may_update_an_action(personas, actions, owner, persona):
    action = actions[owner]
    assert may_update(user_of(personas, persona), action) is (persona in MAY_UPDATE[owner])


@pytest.mark.parametrize("persona", PEOPLE)
def test_action_for_updater_follows_may_update(personas, actions, persona):
    action = actions["police"]
    request = request_as(user_of(personas, persona))
    if persona in MAY_UPDATE["police"]:
        assert action_for_updater(request, personas.hood.slug, action.pk) == action
    else:
        with pytest.raises(PermissionDenied):
            action_for_updater(request, personas.hood.slug, action.pk)


def test_only_the_updaters_hold_the_update_permission(personas):
    # may_update adds the organisation rule on top of the table; it never widens it.
    for name in PEOPLE:
        user = user_of(personas, name)
        if any(name in names for names in MAY_UPDATE.values()):
            assert can(user, Perm.UPDATE_ACTION, personas.hood), name


def test_nobody_updates_another_neighbourhoods_action(personas, make_problem):
    problem = make_problem(
        Status.ACCEPTED,
        neighbourhood=personas.other_hood,
        reporter=personas.outsider,
        title="Te hard rijden",
    )
    elsewhere = agree(personas, problem, personas.police)
    allowed = {name for name in PEOPLE if may_update(user_of(personas, name), elsewhere)}
    assert allowed == {"outsider_chair"}


def professional(
    personas: Personas, name: str, *memberships: tuple[Any, Organisation, str]
) -> User:
    user = make_person(name, f"{name.split()[0].lower()}@example.nl")
    for hood, organisation, status in memberships:
        Membership.objects.create(
            user=user,
            neighbourhood=hood,
            role=Role.PROFESSIONAL,
            organisation=organisation,
            status=status,
        )
    return User.objects.get(pk=user.pk)


def test_a_professional_acts_for_an_organisation_only_where_they_hold_that_role(personas, actions):
    # Police here is not enough to act for housing here, even if they work for housing
    # elsewhere.
    both = professional(
        personas,
        "Ilse Jansen",
        (personas.hood, personas.police, "active"),
        (personas.other_hood, personas.housing, "active"),
    )
    assert may_update(both, actions["police"])
    assert not may_update(both, actions["housing"])
    assert organisations_of(both) == {
        personas.hood.pk: {personas.police.pk},
        personas.other_hood.pk: {personas.housing.pk},
    }


@pytest.mark.parametrize("status", ["pending", "left", "rejected"])
def test_an_inactive_professional_membership_grants_nothing(personas, actions, status):
    former = professional(personas, "Rob Smit", (personas.hood, personas.police, status))
    assert not may_update(former, actions["police"])
    assert organisations_of(former) == {}
    assert owner_choices(former, personas.hood) == []


@pytest.mark.parametrize(
    ("persona", "organisation", "allowed"),
    [
        ("wijkagent", "police", True),
        ("wijkagent", "housing", False),
        ("wijkagent", None, False),  # residents' actions stay with the chair
        ("chair", None, True),
        ("coordinator", "housing", True),
        ("office", "police", False),
        ("resident", None, False),
    ],
)
def test_may_act_for_an_organisation(personas, persona, organisation, allowed):
    org_id = getattr(personas, organisation).pk if organisation else None
    assert may_act_for(user_of(personas, persona), personas.hood, org_id) is allowed


def test_the_chair_and_coordinators_may_name_any_organisation(personas):
    everyone = list(Organisation.objects.order_by("name"))
    assert len(everyone) == 3
    assert owner_choices(user_of(personas, "chair"), personas.hood) == everyone
    assert owner_choices(user_of(personas, "coordinator"), personas.hood) == everyone


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("wijkagent", ["police"]),
        ("housing_contact", ["housing"]),
        ("resident", []),
        ("minute_taker", []),
        ("office", []),
        ("outsider_chair", []),  # a chair, of another neighbourhood
        ("anonymous", []),
    ],
)
def test_a_professional_names_only_their_own_organisation(personas, persona, expected):
    choices = owner_choices(user_of(personas, persona), personas.hood)
    assert choices == [getattr(personas, name) for name in expected]


def test_the_outside_chair_names_any_organisation_at_home(personas):
    assert len(owner_choices(user_of(personas, "outsider_chair"), personas.other_hood)) == 3
    assert owner_choices(user_of(personas, "chair"), personas.other_hood) == []


def test_organisations_are_looked_up_once_per_user_object(personas, django_assert_num_queries):
    user = user_of(personas, "wijkagent")
    with django_assert_num_queries(1):
        first = organisations_of(user)
        again = organisations_of(user)
    assert first == again == {personas.hood.pk: {personas.police.pk}}
    with django_assert_num_queries(0):
        assert organisations_of(AnonymousUser()) == {}


def add_actions(personas: Personas, problem: Problem, count: int) -> list[Action]:
    organisations = [personas.police, personas.housing, None]
    start = Action.objects.count()
    for n in range(start, start + count):
        action_create(
            problem=problem,
            actor=personas.chair,
            role=Role.CHAIR,
            outcome=f"Actie nummer {n}",
            due_date=timezone.localdate() + timedelta(days=14),
            owner_organisation=organisations[n % 3],
        )
    return list(Action.objects.select_related("neighbourhood").order_by("pk"))


@pytest.mark.parametrize("persona", ["wijkagent", "chair", "resident"])
def test_checking_a_list_of_actions_costs_the_same_queries_at_any_size(
    personas, problem, django_assert_num_queries, persona
):
    # A list page asks may_update per row: the roles and organisations come from the user's
    # cache, so the queries do not grow with the number of actions.
    counts = []
    for size in (3, 30):
        rows = add_actions(personas, problem, size - Action.objects.count())
        assert len(rows) == size
        user = user_of(personas, persona)
        with django_assert_num_queries(3 if persona == "wijkagent" else 2) as captured:
            allowed = [may_update(user, action) for action in rows]
        counts.append(len(captured.captured_queries))
        assert any(allowed) is (persona != "resident")
    assert counts[0] == counts[1]


def test_action_for_shows_a_public_problems_action_to_anyone(personas, actions):
    action = actions["police"]
    for name in PEOPLE:
        request = request_as(user_of(personas, name))
        assert action_for(request, personas.hood.slug, action.pk) == action


def test_action_for_needs_the_right_neighbourhood_and_an_action(personas, actions):
    request = request_as(user_of(personas, "chair"))
    action = actions["police"]
    with pytest.raises(Http404):
        action_for(request, personas.other_hood.slug, action.pk)
    with pytest.raises(Http404):
        action_for_updater(request, personas.other_hood.slug, action.pk)
    with pytest.raises(Http404):
        action_for(request, personas.hood.slug, Action.objects.latest("pk").pk + 1)


def test_an_action_of_a_problem_that_is_not_public_is_for_the_team_only(personas, problem, actions):
    # Not reachable through the workflow today (actions need an accepted problem); if a
    # problem ever stops being public, its actions must not leak.
    Problem.objects.filter(pk=problem.pk).update(accepted_at=None)
    action = actions["police"]
    team = {"chair", "wijkagent", "housing_contact", "office", "coordinator"}
    for name in PEOPLE:
        request = request_as(user_of(personas, name))
        if name in team:
            assert action_for(request, personas.hood.slug, action.pk) == action
        else:
            with pytest.raises(Http404):
                action_for(request, personas.hood.slug, action.pk)
