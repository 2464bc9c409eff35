"""'Mijn acties': which actions each persona finds there, overdue first, the quick progress
form that comes back here, finished ones on request, privacy, and its query count."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from meetings.actions import services as action_services
from meetings.actions.models import Action, ActionStatus
from problems.models import Problem
from problems.workflow import Status
from residents.models import Membership, Organisation, Role
from tests.conftest import PERSONA_NAMES

AS = ActionStatus
MY_ACTIONS = reverse("actions:my_actions")
TITLE_MARKER = "SENSITIVETITLEMARKER7710"
REPORTER_MARKER = "REPORTERMARKER4431"
CONFIDENTIAL_MARKER = "CONFIDENTIALMARKER8852"


def today():
    return timezone.localdate()


def agree(personas, problem: Problem, outcome: str, days: int = 10, **fields) -> Action:
    values = {"owner_organisation": personas.police, "due_date": today() + timedelta(days=days)}
    values.update(fields)
    chair = personas.outsider_chair if problem.neighbourhood == personas.other_hood else None
    return action_services.action_create(
        problem=problem, actor=chair or personas.chair, role="chair", outcome=outcome, **values
    )


def make_overdue(action: Action, days: int) -> None:
    past = today() - timedelta(days=days)
    Action.objects.filter(pk=action.pk).update(due_date=past, first_due_date=past)


def action_url(action: Action) -> str:
    return reverse("actions:action", args=[action.neighbourhood.slug, action.pk])


@pytest.fixture
def priority(make_problem) -> Problem:
    return make_problem(Status.PRIORITY, title="Zwerfvuil bij de glasbak")


@pytest.fixture
def board(personas, priority, make_problem) -> dict[str, Action]:
    """Actions of several owners, in two neighbourhoods."""
    elsewhere = make_problem(Status.PRIORITY, neighbourhood=personas.other_hood, title="Elders")
    return {
        "police": agree(personas, priority, "Politie surveilleert op vrijdag"),
        "housing": agree(
            personas, priority, "Thuisbasis plaatst een hek", owner_organisation=personas.housing
        ),
        "residents": agree(
            personas,
            priority,
            "Bewoners houden een schoonmaakdag",
            owner_organisation=None,
            contact_person=personas.resident,
        ),
        "owned": agree(
            personas,
            priority,
            "De voorzitter belt de gemeente",
            owner_organisation=Organisation.objects.get(name="Buurtwerk"),
            owner_person=personas.chair,
        ),
        # The police in a neighbourhood where the wijkagent holds no role.
        "elsewhere": agree(personas, elsewhere, "Politie Poelenburg surveilleert"),
    }


# --- Who sees what ----------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_my_actions_per_persona(as_persona, personas, board, persona):
    response = as_persona(persona).get(MY_ACTIONS)
    if persona == "anonymous":
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))
        return
    assert response.status_code == 200
    shown = {row.action.pk for row in response.context["rows"]}
    expected = {
        "wijkagent": {"police"},
        "housing_contact": {"housing"},
        "resident": {"residents"},  # the contact person
        "chair": {"owned"},  # the named owner
    }.get(persona, set())
    assert shown == {board[name].pk for name in expected}, persona
    why = {
        "wijkagent": "Politie Midden-Nederland",
        "housing_contact": "Woningcorporatie Thuisbasis",
        "resident": "You are the contact person",
        "chair": "You own it",
    }
    for row in response.context["rows"]:
        assert row.why == why[persona]
    body = response.content.decode()
    if not expected:
        assert "you have no open actions" in body


@pytest.mark.parametrize("persona", ["wijkagent", "housing_contact", "chair", "resident"])
def test_a_quick_progress_form_only_where_one_may_update(as_persona, personas, board, persona):
    rows = as_persona(persona).get(MY_ACTIONS).context["rows"]
    assert rows
    for row in rows:
        # The wijkagent and the housing contact update their organisation's actions, the chair
        # any; the contact person of a residents' action only reads.
        assert (row.form is not None) == (persona != "resident"), (persona, row.action)


def test_a_professional_sees_their_organisation_in_each_neighbourhood(as_persona, personas, board):
    Membership.objects.create(
        user=personas.wijkagent,
        neighbourhood=personas.other_hood,
        role=Role.PROFESSIONAL,
        status="active",
        organisation=personas.police,
    )
    response = as_persona("wijkagent").get(MY_ACTIONS)
    shown = {row.action.pk for row in response.context["rows"]}
    assert shown == {board["police"].pk, board["elsewhere"].pk}
    body = response.content.decode()
    assert "Kanaleneiland-Noord" in body and "Poelenburg" in body


def test_a_role_that_ended_hides_the_organisations_actions(as_persona, personas, board):
    Membership.objects.filter(user=personas.wijkagent).update(status="left")
    assert as_persona("wijkagent").get(MY_ACTIONS).context["rows"] == []


def test_overdue_first_then_by_date(as_persona, personas, priority):
    later = agree(personas, priority, "Later klaar", days=30)
    sooner = agree(personas, priority, "Eerder klaar", days=3)
    late = agree(personas, priority, "Te laat", days=20)
    very_late = agree(personas, priority, "Heel erg te laat", days=20)
    make_overdue(late, 2)
    make_overdue(very_late, 9)
    finished_long_ago = agree(personas, priority, "Lang geleden klaar", days=20)
    make_overdue(finished_long_ago, 30)
    action_services.action_status_set(
        action=finished_long_ago, actor=personas.chair, role="chair", status=AS.DONE
    )
    client = as_persona("wijkagent")
    rows = client.get(MY_ACTIONS).context["rows"]
    assert [row.action.pk for row in rows] == [very_late.pk, late.pk, sooner.pk, later.pk]
    assert rows[0].action.is_overdue and not rows[2].action.is_overdue
    # With the finished ones: still the overdue ones first, then by date.
    rows = client.get(MY_ACTIONS, {"alle": "1"}).context["rows"]
    assert [row.action.pk for row in rows] == [
        very_late.pk,
        late.pk,
        finished_long_ago.pk,
        sooner.pk,
        later.pk,
    ]


def test_finished_actions_on_request(as_persona, personas, priority, english_pages):
    open_one = agree(personas, priority, "Nog bezig")
    done = agree(personas, priority, "Al gedaan")
    action_services.action_status_set(
        action=done, actor=personas.wijkagent, role="professional", status=AS.DONE
    )
    client = as_persona("wijkagent")
    response = client.get(MY_ACTIONS)
    assert [row.action.pk for row in response.context["rows"]] == [open_one.pk]
    assert f"{MY_ACTIONS}?alle=1" in response.content.decode()
    response = client.get(MY_ACTIONS, {"alle": "1"})
    assert {row.action.pk for row in response.context["rows"]} == {open_one.pk, done.pk}
    assert "Show only the actions still to be done" in response.content.decode()


def test_the_latest_progress_is_shown(as_persona, personas, priority):
    action = agree(personas, priority, "Politie surveilleert")
    for text in ("Eerste ronde gelopen", "Tweede ronde gelopen"):
        action_services.action_progress_post(
            action=action, actor=personas.wijkagent, role="professional", text=text
        )
    body = as_persona("wijkagent").get(MY_ACTIONS).content.decode()
    assert "Tweede ronde gelopen" in body
    assert "Eerste ronde gelopen" not in body


# --- The quick progress form ------------------------------------------------------------------


def test_quick_progress_comes_back_to_my_actions(login, personas, priority, english_pages):
    action = agree(personas, priority, "Politie surveilleert")
    client = login(personas.wijkagent)
    page = client.get(MY_ACTIONS).content.decode()
    progress_url = reverse("actions:action_progress", args=[personas.hood.slug, action.pk])
    assert progress_url in page
    assert f'name="next" value="{MY_ACTIONS}"' in page
    response = client.post(
        progress_url,
        {"text": "Gesproken met de jongeren", "version": action.version, "next": MY_ACTIONS},
        follow=True,
    )
    assert response.redirect_chain == [(MY_ACTIONS, 302)]
    assert "Your progress note is saved" in response.content.decode()
    assert "Gesproken met de jongeren" in response.content.decode()
    action.refresh_from_db()
    assert action.status == AS.IN_PROGRESS


def test_quick_progress_with_an_error_keeps_the_way_back(login, personas, priority, english_pages):
    action = agree(personas, priority, "Politie surveilleert")
    response = login(personas.wijkagent).post(
        reverse("actions:action_progress", args=[personas.hood.slug, action.pk]),
        {"text": "", "version": action.version, "next": MY_ACTIONS},
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Write what happened." in body
    assert f'name="next" value="{MY_ACTIONS}"' in body


@pytest.mark.parametrize("target", ["https://evil.example/mijn-acties/", "//evil.example/"])
def test_quick_progress_never_leaves_the_site(login, personas, priority, target):
    action = agree(personas, priority, "Politie surveilleert")
    response = login(personas.wijkagent).post(
        reverse("actions:action_progress", args=[personas.hood.slug, action.pk]),
        {"text": "Gedaan", "version": action.version, "next": target},
    )
    assert response.status_code == 302
    assert response.url == action_url(action)


def test_another_organisations_professional_cannot_post_from_a_form(login, personas, priority):
    action = agree(personas, priority, "Politie surveilleert")
    response = login(personas.housing_contact).post(
        reverse("actions:action_progress", args=[personas.hood.slug, action.pk]),
        {"text": "Ik ook", "version": action.version, "next": MY_ACTIONS},
    )
    assert response.status_code == 403
    assert not action.updates.filter(kind="progress").exists()


# --- Privacy ----------------------------------------------------------------------------------


def test_a_contact_person_sees_only_the_public_title(login, personas, make_problem):
    personas.second_resident.display_name = f"Annie {REPORTER_MARKER}"
    personas.second_resident.save(update_fields=["display_name"])
    sensitive = make_problem(
        Status.PRIORITY,
        reporter=personas.second_resident,
        category="drugsoverlast",
        title=f"Dealen {TITLE_MARKER}",
        confidential_details=f"Buurman {CONFIDENTIAL_MARKER}",
    )
    agree(
        personas,
        sensitive,
        "Buurtpreventie loopt op vrijdag",
        owner_organisation=None,
        contact_person=personas.resident,
    )
    for persona in (personas.resident, personas.wijkagent):
        body = login(persona).get(MY_ACTIONS).content.decode()
        assert sensitive.public_title in body or persona == personas.wijkagent
        for marker in (TITLE_MARKER, REPORTER_MARKER, CONFIDENTIAL_MARKER):
            assert marker not in body


def test_a_contact_person_does_not_see_actions_of_a_problem_that_is_not_public(
    login, personas, priority
):
    action = agree(
        personas, priority, "Bewoners ruimen op", owner_organisation=None,
        contact_person=personas.resident,
    )  # fmt: skip
    client = login(personas.resident)
    assert [row.action for row in client.get(MY_ACTIONS).context["rows"]] == [action]
    Problem.objects.filter(pk=priority.pk).update(status=Status.NEW, accepted_at=None)
    assert client.get(MY_ACTIONS).context["rows"] == []


# --- Query count ------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["wijkagent", "resident"])
def test_my_actions_query_count_does_not_grow(
    login, personas, make_problem, django_assert_num_queries, persona
):
    problems = [make_problem(Status.PRIORITY, title=f"Probleem {n}") for n in range(3)]

    def fill(count: int, start: int) -> None:
        for n in range(start, start + count):
            action = agree(
                personas,
                problems[n % 3],
                f"Afspraak nummer {n}",
                days=n + 1,
                contact_person=personas.resident,
            )
            action_services.action_progress_post(
                action=action, actor=personas.wijkagent, role="professional", text=f"Stap {n}"
            )
            if n % 4 == 0:
                make_overdue(action, n + 1)

    fill(2, 0)
    client = login(personas.by_name(persona))
    client.get(MY_ACTIONS)  # the second-factor check is stored in the session
    with CaptureQueriesContext(connection) as small:
        response = client.get(MY_ACTIONS)
    assert len(response.context["rows"]) == 2
    fill(25, 2)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(MY_ACTIONS)
    assert len(response.context["rows"]) == 27
