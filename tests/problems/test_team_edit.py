"""The team edits category and text (on the timeline, with the old values); the chair
confirms a problem as chronic by ticking all four CAPS tests."""

from __future__ import annotations

import pytest
from django.urls import reverse

from problems.models import Category, ConfidentialView, Problem, TimelineEntry
from problems.services import CHRONIC_TESTS
from problems.workflow import Move, Status
from tests.conftest import PERSONA_NAMES, assert_status

EDIT_PROBLEM = {"chair", "office"}
TEST_KEYS = [key for key, _label in CHRONIC_TESTS]


def edit_url(problem: Problem) -> str:
    return reverse("team:problem_edit", args=[problem.neighbourhood.slug, problem.pk])


def chronic_url(problem: Problem) -> str:
    return reverse("team:problem_chronic", args=[problem.neighbourhood.slug, problem.pk])


def edit_data(problem: Problem, **changes: object) -> dict[str, object]:
    data: dict[str, object] = {
        "category": problem.category_id,
        "title": problem.title,
        "description": problem.description,
        "street": problem.street,
        "location_detail": problem.location_detail,
        "public_summary": problem.public_summary,
        "confidential_details": problem.confidential_details,
    }
    return data | changes


# --- Edit ----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_edit_page_permissions(as_persona, make_problem, persona):
    problem = make_problem(Status.ACCEPTED, confidential_details="Geheim: Talmalaan 12")
    response = as_persona(persona).get(edit_url(problem))
    assert_status(response, persona, EDIT_PROBLEM, 200)
    assert ("Geheim: Talmalaan 12" in response.content.decode()) == (persona in EDIT_PROBLEM)


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_edit_save_permissions(as_persona, make_problem, persona):
    problem = make_problem(Status.ACCEPTED)
    response = as_persona(persona).post(edit_url(problem), edit_data(problem, title="Nieuw"))
    assert_status(response, persona, EDIT_PROBLEM, 302)
    problem.refresh_from_db()
    assert (problem.title == "Nieuw") == (persona in EDIT_PROBLEM)
    assert TimelineEntry.objects.filter(problem=problem, move=Move.EDIT).exists() == (
        persona in EDIT_PROBLEM
    )


def test_a_new_report_cannot_even_be_found_by_residents(as_persona, make_problem):
    problem = make_problem(Status.NEW)
    assert as_persona("second_resident").get(edit_url(problem)).status_code == 404
    assert as_persona("resident").get(edit_url(problem)).status_code == 403  # the reporter


def test_an_edit_is_on_the_timeline_with_the_old_values(as_persona, personas, make_problem):
    problem = make_problem(Status.ACCEPTED, title="Zwerfvuil bij glasbak")
    drugs = Category.objects.get(slug="drugsoverlast")
    response = as_persona("office").post(
        edit_url(problem),
        edit_data(
            problem,
            category=drugs.pk,
            title="Handel bij de glasbak",
            public_summary="Overlast omgeving Marshallaan",
        ),
    )
    assert response.status_code == 302
    assert response.url == problem.get_absolute_url()
    problem.refresh_from_db()
    assert problem.title == "Handel bij de glasbak"
    assert problem.category == drugs and problem.sensitive
    entry = TimelineEntry.objects.get(problem=problem, move=Move.EDIT)
    assert entry.actor == personas.office and entry.actor_role == "office"
    assert entry.changes == {
        "category": str(Category.objects.get(slug="zwerfvuil").pk),
        "title": "Zwerfvuil bij glasbak",
        "public_summary": "",
    }


def test_saving_without_changes_adds_nothing(as_persona, make_problem):
    problem = make_problem(Status.ACCEPTED)
    entries = TimelineEntry.objects.filter(problem=problem).count()
    response = as_persona("chair").post(edit_url(problem), edit_data(problem))
    assert response.status_code == 302
    assert TimelineEntry.objects.filter(problem=problem).count() == entries


def test_bad_input_re_shows_the_form_and_changes_nothing(as_persona, make_problem):
    problem = make_problem(Status.ACCEPTED)
    entries = TimelineEntry.objects.filter(problem=problem).count()
    response = as_persona("chair").post(
        edit_url(problem), edit_data(problem, title="", category=999999, street="x" * 500)
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="error-summary"' in html
    assert "This field is required." in html
    assert "Select a valid choice." in html
    problem.refresh_from_db()
    assert problem.title == "Zwerfvuil bij de glasbak"
    assert TimelineEntry.objects.filter(problem=problem).count() == entries


def test_script_in_text_is_stored_as_typed_and_escaped(as_persona, make_problem):
    problem = make_problem(Status.ACCEPTED)
    script = "<script>alert(1)</script>"
    as_persona("chair").post(edit_url(problem), edit_data(problem, title=script))
    problem.refresh_from_db()
    assert problem.title == script
    html = as_persona("chair").get(edit_url(problem)).content.decode()
    assert script not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_opening_the_edit_page_is_logged_as_a_view_of_confidential_details(
    as_persona, personas, make_problem
):
    problem = make_problem(Status.ACCEPTED, confidential_details="Geheim")
    as_persona("office").get(edit_url(problem))
    assert ConfidentialView.objects.filter(problem=problem, user=personas.office).count() == 1


# --- Chronic -------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_chronic_page_permissions(as_persona, make_problem, persona):
    problem = make_problem(Status.ACCEPTED)
    assert_status(as_persona(persona).get(chronic_url(problem)), persona, {"chair"}, 200)


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_chronic_confirm_permissions(as_persona, make_problem, persona):
    problem = make_problem(Status.ACCEPTED)
    response = as_persona(persona).post(chronic_url(problem), {"tests": TEST_KEYS})
    assert_status(response, persona, {"chair"}, 302)
    problem.refresh_from_db()
    assert (problem.chronic_confirmed_at is not None) == (persona == "chair")


@pytest.mark.parametrize("missing", TEST_KEYS)
def test_chronic_needs_all_four_tests(as_persona, make_problem, missing):
    problem = make_problem(Status.ACCEPTED)
    entries = TimelineEntry.objects.filter(problem=problem).count()
    ticked = [key for key in TEST_KEYS if key != missing]
    response = as_persona("chair").post(chronic_url(problem), {"tests": ticked})
    assert response.status_code == 200
    assert "A problem is chronic only when all four tests hold." in response.content.decode()
    problem.refresh_from_db()
    assert problem.chronic_confirmed_at is None
    assert TimelineEntry.objects.filter(problem=problem).count() == entries


def test_chronic_with_all_four_is_on_the_timeline(as_persona, personas, make_problem):
    problem = make_problem(Status.ACCEPTED)
    Problem.objects.filter(pk=problem.pk).update(support_count=7)
    client = as_persona("chair")
    page = client.get(chronic_url(problem)).content.decode()
    assert "supported by 5 or more residents" in page
    for _key, label in CHRONIC_TESTS:
        assert str(label) in page
    response = client.post(
        chronic_url(problem), {"tests": TEST_KEYS, "note": "Besproken in het overleg"}
    )
    assert response.status_code == 302
    problem.refresh_from_db()
    assert problem.chronic_confirmed_at is not None
    entry = TimelineEntry.objects.get(problem=problem, move=Move.CHRONIC)
    assert entry.public_note == "Besproken in het overleg" and entry.actor_role == "chair"
    assert entry.changes == {"tests": dict.fromkeys(TEST_KEYS, True)}


def test_chronic_twice_or_for_a_closed_problem_is_refused_with_a_message(as_persona, make_problem):
    client = as_persona("chair")
    problem = make_problem(Status.ACCEPTED)
    client.post(chronic_url(problem), {"tests": TEST_KEYS})
    again = client.post(chronic_url(problem), {"tests": TEST_KEYS})
    assert again.status_code == 200
    assert "already been confirmed as chronic" in again.content.decode()
    assert TimelineEntry.objects.filter(problem=problem, move=Move.CHRONIC).count() == 1

    parked = make_problem(Status.PARKED)
    page = client.get(chronic_url(parked)).content.decode()
    assert "Only accepted problems that are still open can be confirmed" in page
    response = client.post(chronic_url(parked), {"tests": TEST_KEYS})
    assert "Only accepted, open problems can be confirmed as chronic." in response.content.decode()
    parked.refresh_from_db()
    assert parked.chronic_confirmed_at is None
