"""The permission table, checked persona by persona, and the second-factor rule."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse

from residents.permissions import RULES, Perm, can, needs_second_factor

# Who may do what in Kanaleneiland-Noord (personas.hood). Written out by hand on purpose:
# a change to RULES must be a deliberate change to this table too.
EXPECTED: dict[Perm, set[str]] = {
    Perm.VIEW_MEMBERS: {"chair", "minute_taker", "office", "coordinator"},
    Perm.MANAGE_MEMBERS: {"chair", "coordinator"},
    Perm.SET_ROLES: {"chair", "coordinator"},
    Perm.PRINT_INVITE_CODES: {"chair", "office", "coordinator"},
    Perm.VIEW_CONFIDENTIAL: {"chair", "wijkagent", "housing_contact", "office", "coordinator"},
    Perm.ENTER_FOR_RESIDENT: {"chair", "office", "coordinator"},
    Perm.VIEW_MAILINGS: {"chair", "coordinator"},
    Perm.MANAGE_MAILINGS: {"chair", "coordinator"},
    Perm.MANAGE_MAIL_BLOCKS: {"chair", "office", "coordinator"},
    Perm.REPORT_PROBLEM: {
        "resident",
        "second_resident",
        "paper_resident",
        "chair",
        "minute_taker",
        "wijkagent",
        "housing_contact",
        "office",
    },
    Perm.SUPPORT_PROBLEM: {
        "resident",
        "second_resident",
        "paper_resident",
        "chair",
        "minute_taker",
    },
    Perm.EDIT_PROBLEM: {"chair", "office"},
    Perm.VIEW_CONFIDENTIAL_LOG: {"chair", "coordinator"},
    Perm.CONFIRM_CHRONIC: {"chair"},
    Perm.PLAN_MEETING: {"chair", "coordinator"},
    Perm.RUN_MEETING: {"chair", "minute_taker", "coordinator"},
    Perm.ATTEND_MEETING: {
        "resident",
        "second_resident",
        "paper_resident",
        "chair",
        "minute_taker",
        "wijkagent",
        "housing_contact",
        "office",
    },
    Perm.VOTE: {"resident", "second_resident", "paper_resident", "minute_taker"},
    Perm.CREATE_ACTION: {"chair", "wijkagent", "housing_contact", "coordinator"},
    Perm.UPDATE_ACTION: {"chair", "wijkagent", "housing_contact", "coordinator"},
    Perm.VOLUNTEER: {"resident", "second_resident", "paper_resident", "minute_taker"},
    Perm.EDIT_MINUTES: {"chair", "minute_taker", "coordinator"},
    Perm.PUBLISH_MINUTES: {"chair", "coordinator"},
    Perm.PRINT_PACK: {"chair", "office", "coordinator"},
    Perm.PROPOSE_AGENDA_ITEM: {
        "resident",
        "second_resident",
        "paper_resident",
        "chair",
        "minute_taker",
        "wijkagent",
        "housing_contact",
        "office",
    },
}
PEOPLE = [
    "anonymous",
    "resident",
    "second_resident",
    "paper_resident",
    "pending_resident",
    "chair",
    "minute_taker",
    "wijkagent",
    "housing_contact",
    "office",
    "coordinator",
    "outsider",
    "outsider_chair",
]


def test_every_permission_has_expectations():
    assert set(EXPECTED) == set(RULES)


@pytest.mark.parametrize("perm", list(Perm))
@pytest.mark.parametrize("persona", PEOPLE)
def test_permission_table(personas, django_user_model, perm, persona):
    from django.contrib.auth.models import AnonymousUser

    user = personas.by_name(persona) or AnonymousUser()
    assert can(user, perm, personas.hood) is (persona in EXPECTED[perm])


@pytest.mark.parametrize("perm", list(Perm))
def test_nobody_from_here_acts_in_another_neighbourhood(personas, perm):
    for persona in ("chair", "coordinator", "office", "wijkagent", "resident"):
        assert not can(personas.by_name(persona), perm, personas.other_hood)
    assert can(personas.outsider_chair, perm, personas.other_hood) is ("chair" in EXPECTED[perm])


def test_pending_membership_grants_nothing(personas):
    assert not any(can(personas.pending_resident, perm, personas.hood) for perm in Perm)


def test_who_needs_a_second_factor(personas):
    needing = {name for name in PEOPLE[1:] if needs_second_factor(personas.by_name(name))}
    assert needing == {
        "chair",
        "wijkagent",
        "housing_contact",
        "office",
        "coordinator",
        "outsider_chair",
    }


def test_team_member_without_second_factor_must_set_it_up_first(login, personas):
    Authenticator.objects.filter(user=personas.wijkagent).delete()
    client = login(personas.wijkagent)
    response = client.get(reverse("neighbourhood", args=[personas.hood.slug]))
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_activate_totp")
    # Setting it up stays reachable (allauth first asks to confirm who you are).
    setup = client.get(reverse("mfa_activate_totp"))
    assert setup.status_code == 302
    assert setup["Location"].startswith("/accounts/reauthenticate/code/")
    assert client.get(setup["Location"]).status_code == 200


def test_resident_is_never_sent_to_second_factor_setup(login, personas):
    client = login(personas.resident)
    response = client.get(reverse("neighbourhood", args=[personas.hood.slug]))
    assert response.status_code == 200


def test_team_member_cannot_remove_their_second_factor(login, personas):
    from allauth.mfa.adapter import get_adapter

    totp = Authenticator.objects.get(user=personas.chair, type=Authenticator.Type.TOTP)
    assert get_adapter().can_delete_authenticator(totp) is False
