"""An action's page between meetings, its update forms, volunteers, agreeing an action, the
analysis, and the problem page's "Aanpak": who may do what, what each persona sees, clear
errors that save nothing, a change made meanwhile, and query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from meetings.actions import services as action_services
from meetings.actions.forms import RESIDENTS
from meetings.actions.models import Action, ActionStatus, ActionUpdate, Analysis, Volunteer
from problems.models import Problem
from problems.workflow import Status
from residents.models import Membership, Organisation, Role, User
from tests.conftest import PERSONA_NAMES, assert_status
from tests.support import view_name

AS = ActionStatus
# Who may update an action owned by the police (the wijkagent's organisation).
POLICE_UPDATERS = {"chair", "wijkagent", "coordinator"}
# Who may update a residents' own action (no organisation).
RESIDENTS_UPDATERS = {"chair", "coordinator"}
# Who may agree actions and write the analysis (Perm.CREATE_ACTION).
PLANNERS = {"chair", "wijkagent", "housing_contact", "coordinator"}
TEAM = {"chair", "wijkagent", "housing_contact", "office", "coordinator"}
# Active members of the neighbourhood (the coordinator acts in every one of the municipality).
MEMBERS = TEAM | {"resident", "second_resident", "minute_taker"}
VOLUNTEERS = {"resident", "second_resident", "minute_taker"}
REPORTER_MARKER = "REPORTERMARKER6612"
CONFIDENTIAL_MARKER = "CONFIDENTIALMARKER3381"
TITLE_MARKER = "SENSITIVETITLEMARKER9045"
CONTACT_MARKER = "CONTACTMARKER2207"
VOLUNTEER_MARKER = "VOLUNTEERMARKER5130"


def today():
    return timezone.localdate()


def make_action(personas, problem: Problem, **fields) -> Action:
    values = {
        "outcome": "De glasbak wordt twee keer per week geleegd",
        "due_date": today() + timedelta(days=10),
        "owner_organisation": personas.police,
        "owner_person": personas.wijkagent,
        "contact_person": personas.resident,
    }
    values.update(fields)
    return action_services.action_create(
        problem=problem, actor=personas.chair, role="chair", **values
    )


def url(name: str, action: Action, slug: str | None = None) -> str:
    return reverse(view_name(name), args=[slug or action.neighbourhood.slug, action.pk])


def make_overdue(action: Action, days: int = 5) -> Action:
    past = today() - timedelta(days=days)
    Action.objects.filter(pk=action.pk).update(due_date=past, first_due_date=past)
    action.refresh_from_db()
    return action


@pytest.fixture
def priority(make_problem) -> Problem:
    return make_problem(Status.PRIORITY, title="Zwerfvuil bij de glasbak")


@pytest.fixture
def police_action(personas, priority) -> Action:
    return make_action(personas, priority)


@pytest.fixture
def residents_action(personas, priority) -> Action:
    return make_action(
        personas,
        priority,
        outcome="Bewoners ruimen elke eerste zaterdag het plein op",
        owner_organisation=None,
        owner_person=None,
        contact_person=None,
        volunteers_needed=2,
    )


# --- Who may open the page --------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_the_action_page_is_public(as_persona, personas, police_action, persona):
    response = as_persona(persona).get(url("actions:action", police_action))
    assert response.status_code == 200, persona
    body = response.content.decode()
    assert "De glasbak wordt twee keer per week geleegd" in body
    assert "Politie Midden-Nederland" in body
    assert "Zwerfvuil bij de glasbak" in body
    # The owner's name for members of the neighbourhood, the contact person's for the team.
    assert ("Kees de Vries" in body) == (persona in MEMBERS), persona
    assert ("Mohamed Bouzid" in body) == (persona in TEAM), persona


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_an_action_of_a_problem_that_is_not_public_is_404_to_others(
    as_persona, personas, police_action, persona
):
    Problem.objects.filter(pk=police_action.problem_id).update(status=Status.NEW, accepted_at=None)
    response = as_persona(persona).get(url("actions:action", police_action))
    assert response.status_code == (200 if persona in TEAM else 404), persona


def test_an_action_under_another_neighbourhood_is_404(client, personas, police_action):
    assert (
        client.get(url("actions:action", police_action, personas.other_hood.slug)).status_code
        == 404
    )
    missing = reverse("actions:action", args=[personas.hood.slug, 999999])
    assert client.get(missing).status_code == 404


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_only_updaters_see_the_update_forms(as_persona, personas, police_action, persona):
    body = as_persona(persona).get(url("actions:action", police_action)).content.decode()
    for name in ("action_progress", "action_status", "action_due_date", "action_edit"):
        assert (url(name, police_action) in body) == (persona in POLICE_UPDATERS), (persona, name)


# --- Who may update ---------------------------------------------------------------------------


def _valid_post(name: str, action: Action) -> dict[str, str]:
    version = str(action.version)
    return {
        "action_progress": {"text": "Gesprek met de gemeente gehad", "version": version},
        "action_due_date": {
            "due_date": (today() + timedelta(days=30)).isoformat(),
            "reason": "De leverancier is later",
            "version": version,
        },
        "action_status": {"status": AS.DONE, "version": version},
        "action_edit": {
            "outcome": "De glasbak wordt drie keer per week geleegd",
            "owner_organisation": str(action.owner_organisation_id or RESIDENTS),
            "owner_person": "",
            "contact_person": "",
            "details": "",
            "version": version,
        },
    }[name]


@pytest.mark.parametrize("persona", PERSONA_NAMES)
@pytest.mark.parametrize(
    "name", ["action_progress", "action_due_date", "action_status", "action_edit"]
)
def test_only_the_owner_organisation_the_chair_and_coordinators_update(
    as_persona, personas, police_action, persona, name
):
    before = (police_action.version, ActionUpdate.objects.count())
    response = as_persona(persona).post(url(name, police_action), _valid_post(name, police_action))
    assert_status(response, persona, POLICE_UPDATERS, 302)
    police_action.refresh_from_db()
    changed = (police_action.version, ActionUpdate.objects.count()) != before
    assert changed == (persona in POLICE_UPDATERS), persona


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_a_residents_action_is_updated_by_the_chair_and_coordinators(
    as_persona, personas, residents_action, persona
):
    response = as_persona(persona).post(
        url("actions:action_progress", residents_action),
        {"text": "Vuilniszakken geregeld", "version": residents_action.version},
    )
    assert_status(response, persona, RESIDENTS_UPDATERS, 302)
    posted = ActionUpdate.objects.filter(action=residents_action, kind="progress").exists()
    assert posted == (persona in RESIDENTS_UPDATERS)


@pytest.mark.parametrize("persona", ["wijkagent", "housing_contact", "chair", "coordinator"])
def test_the_edit_form_opens_for_updaters_only(as_persona, personas, police_action, persona):
    response = as_persona(persona).get(url("actions:action_edit", police_action))
    assert response.status_code == (200 if persona in POLICE_UPDATERS else 403)


@pytest.mark.parametrize(
    "name",
    [
        "action",
        "action_progress",
        "action_due_date",
        "action_status",
        "action_delay",
        "action_volunteer",
        "action_volunteer_withdraw",
    ],
)
def test_writes_need_post(login, personas, police_action, name):
    response = login(personas.chair).get(url(name, police_action))
    assert response.status_code == (200 if name == "action" else 405)


# --- Progress, date, status, delay ------------------------------------------------------------


def test_progress_with_a_status_and_the_public_history(
    login, personas, police_action, english_pages
):
    client = login(personas.wijkagent)
    response = client.post(
        url("actions:action_progress", police_action),
        {"text": "Container besteld", "status": AS.DONE, "version": police_action.version},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == url("actions:action", police_action)
    body = response.content.decode()
    assert "Your progress note is saved" in body
    police_action.refresh_from_db()
    assert police_action.status == AS.DONE
    # The history: date, organisation and text, never the author's name (for anyone).
    public = login(None).get(url("actions:action", police_action)).content.decode()
    assert "Container besteld" in public
    assert "Politie Midden-Nederland" in public
    assert "Kees de Vries" not in public
    assert "Fatima el Amrani" not in public  # the chair agreed it: the role shows, not her name
    assert "the chair" in public


def test_progress_goes_back_to_a_local_next_only(login, personas, police_action):
    client = login(personas.wijkagent)
    mine = reverse("actions:my_actions")
    response = client.post(
        url("actions:action_progress", police_action),
        {"text": "Eerste stap", "version": police_action.version, "next": mine},
    )
    assert response.status_code == 302 and response.url == mine
    police_action.refresh_from_db()
    response = client.post(
        url("actions:action_progress", police_action),
        {"text": "Tweede stap", "version": police_action.version, "next": "https://evil.example/"},
    )
    assert response.status_code == 302 and response.url == url("actions:action", police_action)


def test_empty_progress_is_refused_and_saves_nothing(login, personas, police_action, english_pages):
    response = login(personas.wijkagent).post(
        url("actions:action_progress", police_action),
        {"text": "  ", "version": police_action.version},
    )
    assert response.status_code == 400
    assert "Write what happened." in response.content.decode()
    assert not ActionUpdate.objects.filter(action=police_action, kind="progress").exists()


def test_moving_the_date_keeps_the_first_date(login, personas, police_action, english_pages):
    first = police_action.due_date
    new = first + timedelta(days=21)
    client = login(personas.wijkagent)
    response = client.post(
        url("actions:action_due_date", police_action),
        {
            "due_date": new.isoformat(),
            "reason": "Levering vertraagd",
            "version": police_action.version,
        },
    )
    assert response.status_code == 302
    police_action.refresh_from_db()
    assert (police_action.due_date, police_action.first_due_date) == (new, first)
    move = ActionUpdate.objects.get(action=police_action, kind="due_date")
    assert (move.old_due_date, move.new_due_date, move.text) == (first, new, "Levering vertraagd")
    body = login(None).get(url("actions:action", police_action)).content.decode()
    assert "originally" in body
    assert "Levering vertraagd" in body


def test_moving_the_date_in_dutch(login, personas, police_action):
    first = police_action.due_date
    action_services.action_due_date_move(
        action=police_action,
        actor=personas.wijkagent,
        role="professional",
        due_date=first + timedelta(days=7),
        reason="Vakantie",
    )
    body = login(None).get(url("actions:action", police_action)).content.decode()
    months = [
        "januari", "februari", "maart", "april", "mei", "juni", "juli",
        "augustus", "september", "oktober", "november", "december",
    ]  # fmt: skip
    assert f"{first.day} {months[first.month - 1]} {first.year}" in body


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"due_date": "2001-01-01", "reason": "Te laat"}, "due_date", "cannot be in the past"),
        ({"due_date": "+30", "reason": ""}, "reason", "Give a reason; everyone will see it."),
        ({"due_date": "morgen", "reason": "Ziek"}, "due_date", "Fill in a date like"),
    ],
)
def test_a_bad_date_move_is_refused_clearly_and_saves_nothing(
    login, personas, police_action, english_pages, data, field, message
):
    if data["due_date"] == "+30":
        data = {**data, "due_date": (today() + timedelta(days=30)).isoformat()}
    before = (police_action.due_date, police_action.version)
    response = login(personas.wijkagent).post(
        url("actions:action_due_date", police_action), {**data, "version": police_action.version}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    assert "There is a problem" in body
    assert response.context["forms"]["due_date"].errors[field]
    police_action.refresh_from_db()
    assert (police_action.due_date, police_action.version) == before
    assert not ActionUpdate.objects.filter(action=police_action, kind="due_date").exists()


@pytest.mark.parametrize("status", [AS.NOT_FEASIBLE, AS.CANCELLED])
def test_not_feasible_and_cancelled_need_a_public_reason(
    login, personas, police_action, english_pages, status
):
    client = login(personas.wijkagent)
    response = client.post(
        url("actions:action_status", police_action),
        {"status": status, "version": police_action.version},
    )
    assert response.status_code == 400
    assert "Give a reason; everyone will see it." in response.content.decode()
    police_action.refresh_from_db()
    assert police_action.status == AS.OPEN
    response = client.post(
        url("actions:action_status", police_action),
        {"status": status, "reason": "Geen budget dit jaar", "version": police_action.version},
    )
    assert response.status_code == 302
    police_action.refresh_from_db()
    assert police_action.status == status
    body = login(None).get(url("actions:action", police_action)).content.decode()
    assert "Geen budget dit jaar" in body


def test_a_finished_action_can_go_back_to_open(login, personas, police_action):
    client = login(personas.chair)
    client.post(url("actions:action_status", police_action), {"status": AS.DONE, "version": 1})
    police_action.refresh_from_db()
    assert police_action.status == AS.DONE and police_action.done_at is not None
    # Done: only "back to open" is offered; the date no longer moves.
    form = client.get(url("actions:action", police_action)).context["forms"]["status"]
    assert [value for value, _label in form.fields["status"].choices] == [AS.OPEN]
    assert "due_date" not in client.get(url("actions:action", police_action)).context["forms"]
    client.post(
        url("actions:action_status", police_action),
        {"status": AS.OPEN, "version": police_action.version},
    )
    police_action.refresh_from_db()
    assert police_action.status == AS.OPEN and police_action.done_at is None


def test_the_delay_note_only_for_an_overdue_action(login, personas, police_action, english_pages):
    client = login(personas.wijkagent)
    assert "delay" not in client.get(url("actions:action", police_action)).context["forms"]
    response = client.post(
        url("actions:action_delay", police_action),
        {"text": "Ziek", "version": police_action.version},
    )
    assert response.status_code == 400
    assert "Only an overdue action needs a note" in response.content.decode()
    make_overdue(police_action)
    page = client.get(url("actions:action", police_action))
    assert "delay" in page.context["forms"]
    assert "The owner has not said yet why it is late." in page.content.decode()
    response = client.post(
        url("actions:action_delay", police_action),
        {"text": "De aannemer is failliet", "version": police_action.version},
    )
    assert response.status_code == 302
    public = login(None).get(url("actions:action", police_action)).content.decode()
    assert "Why is it late?" in public
    assert "De aannemer is failliet" in public
    assert "Overdue" in public


def test_a_change_made_meanwhile_is_refused_with_the_form_again(
    login, personas, police_action, english_pages
):
    stale = police_action.version
    action_services.action_progress_post(
        action=police_action, actor=personas.chair, role="chair", text="Eerder vandaag"
    )
    response = login(personas.wijkagent).post(
        url("actions:action_progress", police_action), {"text": "Mijn update", "version": stale}
    )
    assert response.status_code == 409
    body = response.content.decode()
    assert "Someone else changed this action meanwhile" in body
    assert "Mijn update" in body  # the text is kept, to send again
    form = response.context["forms"]["progress"]
    police_action.refresh_from_db()
    assert form["version"].value() == str(police_action.version)
    assert not ActionUpdate.objects.filter(text="Mijn update").exists()


# --- Editing what was agreed ------------------------------------------------------------------


def test_editing_what_was_agreed(login, personas, police_action, english_pages):
    client = login(personas.wijkagent)
    data = _valid_post("action_edit", police_action)
    data["owner_person"] = str(personas.wijkagent.pk)
    response = client.post(url("actions:action_edit", police_action), data)
    assert response.status_code == 302
    police_action.refresh_from_db()
    assert police_action.outcome == "De glasbak wordt drie keer per week geleegd"
    assert police_action.contact_person is None
    assert ActionUpdate.objects.filter(action=police_action, kind="edit").exists()


def test_a_vague_outcome_is_refused_and_nothing_changes(
    login, personas, police_action, english_pages
):
    data = _valid_post("action_edit", police_action)
    data["outcome"] = "Aandacht voor zwerfvuil"
    response = login(personas.chair).post(url("actions:action_edit", police_action), data)
    assert response.status_code == 400
    assert "Describe a result that can be checked" in response.content.decode()
    police_action.refresh_from_db()
    assert police_action.outcome == "De glasbak wordt twee keer per week geleegd"
    assert police_action.version == 1


def test_an_action_asking_for_volunteers_cannot_be_handed_to_an_organisation(
    login, personas, residents_action, english_pages
):
    data = _valid_post("action_edit", residents_action)
    data["owner_organisation"] = str(personas.police.pk)
    response = login(personas.chair).post(url("actions:action_edit", residents_action), data)
    assert response.status_code == 400
    assert "so the residents themselves own it" in response.content.decode()
    assert response.context["form"].errors["owner_organisation"]
    residents_action.refresh_from_db()
    assert residents_action.owner_organisation is None and residents_action.version == 1


@pytest.mark.parametrize(("persona", "allowed"), [("wijkagent", False), ("chair", True)])
def test_handing_an_action_to_another_owner(login, personas, police_action, persona, allowed):
    data = _valid_post("action_edit", police_action)
    data["owner_organisation"] = str(personas.housing.pk)
    response = login(personas.by_name(persona)).post(
        url("actions:action_edit", police_action), data
    )
    assert response.status_code == (302 if allowed else 403)
    police_action.refresh_from_db()
    assert (police_action.owner_organisation == personas.housing) == allowed


# --- Volunteers -------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_only_residents_sign_up(as_persona, personas, residents_action, persona):
    response = as_persona(persona).post(url("actions:action_volunteer", residents_action))
    assert_status(response, persona, VOLUNTEERS, 302)
    signed = Volunteer.objects.filter(action=residents_action).exists()
    assert signed == (persona in VOLUNTEERS)


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_sign_up_buttons_only_for_residents(as_persona, personas, residents_action, persona):
    body = as_persona(persona).get(url("actions:action", residents_action)).content.decode()
    assert (url("actions:action_volunteer", residents_action) in body) == (persona in VOLUNTEERS)


def test_no_sign_up_where_no_volunteers_are_asked(login, personas, police_action):
    client = login(personas.resident)
    assert (
        url("actions:action_volunteer", police_action)
        not in client.get(url("actions:action", police_action)).content.decode()
    )
    assert client.post(url("actions:action_volunteer", police_action)).status_code == 403
    assert not Volunteer.objects.exists()


def test_enough_volunteers_start_the_action_and_one_can_withdraw(
    login, personas, residents_action, english_pages
):
    assert residents_action.status == AS.WAITING
    client = login(personas.resident)
    response = client.post(url("actions:action_volunteer", residents_action), follow=True)
    assert "you are signed up to help" in response.content.decode()
    assert url("actions:action_volunteer_withdraw", residents_action) in response.content.decode()
    again = client.post(url("actions:action_volunteer", residents_action), follow=True)
    assert "You had already signed up." in again.content.decode()
    login(personas.second_resident).post(url("actions:action_volunteer", residents_action))
    residents_action.refresh_from_db()
    assert (residents_action.status, residents_action.volunteer_count) == (AS.OPEN, 2)
    login(personas.resident).post(url("actions:action_volunteer_withdraw", residents_action))
    residents_action.refresh_from_db()
    assert residents_action.volunteer_count == 1
    assert not Volunteer.objects.filter(user=personas.resident).exists()


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_volunteer_names_only_for_those_who_update(as_persona, personas, residents_action, persona):
    personas.second_resident.display_name = f"Annie {VOLUNTEER_MARKER}"
    personas.second_resident.save(update_fields=["display_name"])
    action_services.volunteer_sign_up(action=residents_action, user=personas.second_resident)
    body = as_persona(persona).get(url("actions:action", residents_action)).content.decode()
    assert (VOLUNTEER_MARKER in body) == (persona in RESIDENTS_UPDATERS), persona


# --- Agreeing an action -----------------------------------------------------------------------


def create_url(problem: Problem, slug: str | None = None) -> str:
    return reverse("actions:action_create", args=[slug or problem.neighbourhood.slug, problem.pk])


def create_data(organisation: Organisation | None, **extra) -> dict[str, str]:
    data = {
        "outcome": "De straatverlichting bij het plein brandt weer",
        "owner_organisation": str(organisation.pk) if organisation else RESIDENTS,
        "owner_person": "",
        "contact_person": "",
        "due_date": (today() + timedelta(days=14)).isoformat(),
        "details": "",
        "volunteers_needed": "0",
    }
    data.update(extra)
    return data


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_who_may_open_the_new_action_form(as_persona, personas, priority, persona):
    response = as_persona(persona).get(create_url(priority))
    assert_status(response, persona, PLANNERS, 200)


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_the_new_action_form_of_a_problem_that_is_not_public(
    as_persona, personas, make_problem, persona
):
    new = make_problem(Status.NEW)  # reported by the resident
    response = as_persona(persona).get(create_url(new))
    if persona == "anonymous":
        expected = 302
    elif persona in PLANNERS:
        expected = 409  # they see it, but it is not open to actions yet
    elif persona in {"resident", "office"}:
        expected = 403  # the reporter and the office see it, but agree no actions
    else:
        expected = 404  # nobody else learns that it exists
    assert response.status_code == expected, persona


@pytest.mark.parametrize(
    ("persona", "owner", "allowed"),
    [
        ("wijkagent", "police", True),
        ("wijkagent", "housing", False),
        ("wijkagent", None, False),
        ("housing_contact", "housing", True),
        ("housing_contact", "police", False),
        ("chair", "housing", True),
        ("chair", None, True),
        ("coordinator", None, True),
        ("outsider_chair", None, False),
        ("resident", None, False),
    ],
)
def test_a_professional_agrees_actions_only_for_their_organisation(
    login, personas, priority, persona, owner, allowed
):
    organisation = getattr(personas, owner) if owner else None
    response = login(personas.by_name(persona)).post(
        create_url(priority), create_data(organisation)
    )
    assert response.status_code == (302 if allowed else 403)
    created = Action.objects.filter(problem=priority).first()
    assert (created is not None) == allowed
    if allowed:
        assert created is not None
        assert response.url == url("actions:action", created)
        assert created.owner_organisation == organisation
        assert created.first_due_date == created.due_date


def test_owner_choices_per_person(login, personas, priority, english_pages):
    form = login(personas.wijkagent).get(create_url(priority)).context["form"]
    choices = dict(form.fields["owner_organisation"].choices)
    assert list(choices) == ["", str(personas.police.pk)]
    owners = dict(form.fields["owner_person"].choices)
    assert str(personas.wijkagent.pk) in owners
    assert str(personas.housing_contact.pk) not in owners
    form = login(personas.chair).get(create_url(priority)).context["form"]
    choices = dict(form.fields["owner_organisation"].choices)
    assert RESIDENTS in choices and str(personas.housing.pk) in choices
    assert str(personas.police.pk) in choices
    owners = dict(form.fields["owner_person"].choices)
    assert {str(personas.wijkagent.pk), str(personas.chair.pk)} <= set(owners)
    assert str(personas.resident.pk) not in owners
    contacts = dict(form.fields["contact_person"].choices)
    assert str(personas.resident.pk) in contacts
    assert str(personas.pending_resident.pk) not in contacts
    assert str(personas.wijkagent.pk) not in contacts


@pytest.mark.parametrize(
    ("extra", "field", "message"),
    [
        ({"due_date": "2001-01-01"}, "due_date", "The due date cannot be in the past."),
        ({"outcome": "Aandacht voor de verlichting"}, "outcome", "Describe a result that can be"),
        ({"outcome": "kijken naar de lantaarns"}, "outcome", "Describe a result that can be"),
        ({"outcome": ""}, "outcome", "Say what exactly is to be achieved."),
        ({"due_date": ""}, "due_date", "Fill in the date."),
        ({"owner_organisation": ""}, "owner_organisation", "Choose who owns it."),
        ({"volunteers_needed": "500"}, "volunteers_needed", "At most 99 volunteers."),
        # The service's rule, with the same words as on the agenda screen's form.
        ({"volunteers_needed": "3"}, "volunteers_needed", "Only an action of the residents"),
        ({"owner_person": "housing"}, "owner_person", "The owner must be a member"),
        ({"contact_person": "wijkagent"}, "contact_person", "Select a valid choice"),
    ],
)
def test_bad_input_on_a_new_action_is_refused_clearly(
    login, personas, priority, english_pages, extra, field, message
):
    if extra.get("owner_person") == "housing":
        extra = {"owner_person": str(personas.housing_contact.pk)}
    if extra.get("contact_person") == "wijkagent":
        extra = {"contact_person": str(personas.wijkagent.pk)}
    response = login(personas.chair).post(
        create_url(priority), create_data(personas.police, **extra)
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert response.context["form"].errors[field]
    assert not Action.objects.exists()
    assert not ActionUpdate.objects.exists()


def test_a_residents_action_with_volunteers_and_a_contact_person(login, personas, priority):
    response = login(personas.chair).post(
        create_url(priority),
        create_data(None, volunteers_needed="4", contact_person=str(personas.resident.pk)),
    )
    assert response.status_code == 302
    created = Action.objects.get()
    assert created.status == AS.WAITING
    assert (created.volunteers_needed, created.contact_person) == (4, personas.resident)
    assert created.owner_label == "Bewoners"


@pytest.mark.parametrize("status", [Status.RESOLVED, Status.PARKED])
def test_no_new_actions_for_a_problem_that_is_not_open(
    login, personas, make_problem, english_pages, status
):
    closed = make_problem(status)
    client = login(personas.chair)
    response = client.get(create_url(closed))
    assert response.status_code == 409
    assert "Actions are agreed only for accepted problems" in response.content.decode()
    assert client.post(create_url(closed), create_data(personas.police)).status_code == 409
    assert not Action.objects.exists()


def test_a_double_post_agrees_one_action(login, personas, priority):
    client = login(personas.wijkagent)
    data = create_data(personas.police)
    client.post(create_url(priority), data)
    client.post(create_url(priority), data)
    assert Action.objects.count() == 1


# --- The analysis -----------------------------------------------------------------------------


def analysis_url(problem: Problem) -> str:
    return reverse("actions:analysis_edit", args=[problem.neighbourhood.slug, problem.pk])


ANALYSIS = {
    "location": "Bij de glasbak, vooral maandagochtend",
    "victims": "Bewoners van de flat",
    "offenders": "Mensen die hun afval wegbrengen",
}


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_who_may_write_the_analysis(as_persona, personas, priority, persona):
    client = as_persona(persona)
    assert_status(client.get(analysis_url(priority)), persona, PLANNERS, 200)
    response = client.post(analysis_url(priority), ANALYSIS)
    assert_status(response, persona, PLANNERS, 302)
    assert Analysis.objects.filter(problem=priority).exists() == (persona in PLANNERS)


def test_a_public_analysis_warns_and_shows_on_the_problem_page(
    login, personas, priority, english_pages
):
    client = login(personas.wijkagent)
    assert "This analysis is public" in client.get(analysis_url(priority)).content.decode()
    response = client.post(analysis_url(priority), ANALYSIS)
    assert response.url == priority.get_absolute_url() + "#aanpak"
    analysis = Analysis.objects.get(problem=priority)
    assert analysis.updated_by == personas.wijkagent
    # Editing shows what is there.
    form = client.get(analysis_url(priority)).context["form"]
    assert form["victims"].value() == "Bewoners van de flat"
    body = login(None).get(priority.get_absolute_url()).content.decode()
    assert "Bij de glasbak, vooral maandagochtend" in body
    assert "Who causes it" in body


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_the_analysis_of_a_sensitive_problem_stays_with_the_team(
    as_persona, personas, make_problem, persona
):
    sensitive = make_problem(Status.PRIORITY, category="drugsoverlast", title="Dealen bij portiek")
    action_services.analysis_save(
        problem=sensitive,
        actor=personas.chair,
        location=f"Portiek {CONFIDENTIAL_MARKER}",
        victims="Buren",
        offenders="Een groep",
    )
    body = as_persona(persona).get(sensitive.get_absolute_url()).content.decode()
    assert (CONFIDENTIAL_MARKER in body) == (persona in TEAM), persona


def test_the_analysis_form_of_a_sensitive_problem(login, personas, make_problem, english_pages):
    sensitive = make_problem(Status.PRIORITY, category="drugsoverlast")
    body = login(personas.chair).get(analysis_url(sensitive)).content.decode()
    assert "only the team sees this analysis" in body
    assert "This analysis is public" not in body


def test_a_closed_problem_is_not_analysed(login, personas, make_problem, english_pages):
    resolved = make_problem(Status.RESOLVED)
    response = login(personas.chair).post(analysis_url(resolved), ANALYSIS)
    assert response.status_code == 400
    assert "Only accepted problems that are still open can be analysed." in (
        response.content.decode()
    )
    assert not Analysis.objects.exists()


# --- The problem page's "Aanpak" --------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_the_problem_page_lists_the_actions_with_latest_progress(
    as_persona, personas, priority, police_action, residents_action, persona
):
    action_services.action_progress_post(
        action=police_action, actor=personas.wijkagent, role="professional", text="Oude stand"
    )
    action_services.action_progress_post(
        action=police_action, actor=personas.wijkagent, role="professional", text="Nieuwste stand"
    )
    body = as_persona(persona).get(priority.get_absolute_url()).content.decode()
    assert url("actions:action", police_action) in body
    assert url("actions:action", residents_action) in body
    assert "Nieuwste stand" in body and "Oude stand" not in body
    assert "action-status--in_progress" in body and "action-status--waiting" in body
    assert (create_url(priority) in body) == (persona in PLANNERS), persona
    assert (analysis_url(priority) in body) == (persona in PLANNERS), persona


def test_no_add_link_for_a_resolved_problem(login, personas, make_problem):
    resolved = make_problem(Status.RESOLVED)
    body = login(personas.chair).get(resolved.get_absolute_url()).content.decode()
    assert create_url(resolved) not in body


# --- Privacy ----------------------------------------------------------------------------------


@pytest.fixture
def marked(personas, make_problem) -> Action:
    """An action of a sensitive priority, with markers where only the team may look."""
    personas.second_resident.display_name = f"Annie {REPORTER_MARKER}"
    personas.second_resident.save(update_fields=["display_name"])
    personas.resident.display_name = f"Mohamed {CONTACT_MARKER}"
    personas.resident.save(update_fields=["display_name"])
    problem = make_problem(
        Status.PRIORITY,
        reporter=personas.second_resident,
        category="drugsoverlast",
        title=f"Dealen {TITLE_MARKER}",
        street="Talmalaan",
        confidential_details=f"Buurman {CONFIDENTIAL_MARKER}",
    )
    return make_action(personas, problem, outcome="Extra surveillance op vrijdagavond")


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_markers_never_reach_the_action_page(as_persona, personas, marked, persona):
    body = as_persona(persona).get(url("actions:action", marked)).content.decode()
    assert marked.problem.public_title in body
    for marker in (REPORTER_MARKER, CONFIDENTIAL_MARKER, TITLE_MARKER):
        assert marker not in body, (persona, marker)
    assert (CONTACT_MARKER in body) == (persona in TEAM), persona


# --- Query counts -----------------------------------------------------------------------------


def grow(action: Action, personas, *, updates: int, volunteers: int) -> None:
    for number in range(updates):
        action_services.action_progress_post(
            action=action, actor=personas.wijkagent, role="professional", text=f"Stap {number}"
        )
    users = User.objects.bulk_create(
        User(email=f"hulp{action.pk}-{n}@example.nl", display_name=f"Hulp {n}")
        for n in range(volunteers)
    )
    Membership.objects.bulk_create(
        Membership(user=u, neighbourhood=action.neighbourhood, role=Role.RESIDENT, status="active")
        for u in users
    )
    for user in users:
        action_services.volunteer_sign_up(action=action, user=user)


@pytest.mark.parametrize("persona", ["chair", "wijkagent", "resident", "anonymous"])
def test_action_page_query_count_does_not_grow(
    login, personas, priority, django_assert_num_queries, persona
):
    small = make_action(personas, priority, outcome="Klein actiepunt", owner_organisation=None,
                        owner_person=None, volunteers_needed=50)  # fmt: skip
    large = make_action(personas, priority, outcome="Groot actiepunt", owner_organisation=None,
                        owner_person=None, volunteers_needed=50)  # fmt: skip
    grow(small, personas, updates=1, volunteers=1)
    grow(large, personas, updates=30, volunteers=20)
    client = login(personas.by_name(persona))
    client.get(url("actions:action", small))  # the second-factor check is stored in the session
    with CaptureQueriesContext(connection) as first:
        client.get(url("actions:action", small))
    with django_assert_num_queries(len(first)):
        response = client.get(url("actions:action", large))
    assert len(response.context["updates"]) == 31
    if persona == "chair":
        assert len(response.context["volunteers"]) == 20


@pytest.mark.parametrize("persona", ["chair", "second_resident", "anonymous"])
def test_the_approach_section_does_not_grow_with_actions(
    login, personas, make_problem, django_assert_num_queries, persona
):
    small = make_problem(Status.PRIORITY, title="Klein")
    large = make_problem(Status.PRIORITY, title="Groot")
    for problem, count in ((small, 1), (large, 15)):
        action_services.analysis_save(
            problem=problem, actor=personas.chair, location="Plein", victims="", offenders=""
        )
        for n in range(count):
            action = make_action(personas, problem, outcome=f"Afspraak {n}", contact_person=None)
            action_services.action_progress_post(
                action=action, actor=personas.wijkagent, role="professional", text=f"Stap {n}"
            )
    client = login(personas.by_name(persona))
    small_url, large_url = small.get_absolute_url(), large.get_absolute_url()
    client.get(small_url)  # the second-factor check is stored in the session
    with CaptureQueriesContext(connection) as first:
        client.get(small_url)
    with django_assert_num_queries(len(first)):
        response = client.get(large_url)
    [approach] = [s["context"] for s in response.context["sections"] if s["name"] == "approach"]
    assert len(approach["problem_actions"]) == 15
    assert "Stap 14" in response.content.decode()


def test_a_waiting_action_can_start_without_more_volunteers(login, personas, residents_action):
    client = login(personas.chair)
    form = client.get(url("actions:action", residents_action)).context["forms"]["status"]
    assert AS.OPEN in dict(form.fields["status"].choices)
    response = client.post(
        url("actions:action_status", residents_action),
        {"status": AS.OPEN, "version": residents_action.version},
    )
    assert response.status_code == 302
    residents_action.refresh_from_db()
    assert residents_action.status == AS.OPEN


NASTY = ["", " ", "0", "-1", "99999999999999999999", "abc", "<script>x</script>", "x" * 5000,
         "2025-02-30", "\x00"]  # fmt: skip


@pytest.mark.parametrize(
    "name",
    ["action_progress", "action_due_date", "action_status", "action_delay", "action_edit"],
)
def test_nasty_input_never_breaks_or_half_saves(login, personas, police_action, name):
    client = login(personas.chair)
    fields = list(_valid_post(name, police_action)) if name != "action_delay" else ["text"]
    for value in NASTY:
        before = (police_action.version, ActionUpdate.objects.count())
        data = dict.fromkeys([*fields, "version"], value)
        response = client.post(url(name, police_action), data)
        assert response.status_code in (302, 400, 403, 409), (name, value)
        police_action.refresh_from_db()
        if response.status_code != 302:
            assert (police_action.version, ActionUpdate.objects.count()) == before, value
    for value in NASTY:
        data = dict.fromkeys(create_data(None), value)
        response = client.post(create_url(police_action.problem), data)
        assert response.status_code in (400, 403), value
    assert Action.objects.count() == 1
