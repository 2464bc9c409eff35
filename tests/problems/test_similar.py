"""Similar problems while the title is typed: public, open, same neighbourhood, at most five."""

from __future__ import annotations

import pytest
from django.urls import reverse

from problems.selectors import SIMILAR_LIMIT, similar_problems
from problems.services import problem_edit, problem_support
from problems.workflow import Status
from tests.conftest import PERSONA_NAMES, assert_status
from tests.support import REPORTERS

HTMX = {"HTTP_HX_REQUEST": "true"}


def similar_url(personas, title: str) -> str:
    return reverse("report:problem_similar", args=[personas.hood.slug]) + f"?title={title}"


def suggest(client, personas, title: str) -> str:
    response = client.get(similar_url(personas, title), **HTMX)
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    return response.content.decode()


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_similar_permissions(as_persona, personas, make_problem, persona):
    make_problem(Status.ACCEPTED, title="Zwerfvuil bij de glasbak")
    response = as_persona(persona).get(similar_url(personas, "glasbak"), **HTMX)
    if persona == "anonymous":
        # htmx gets the login redirect as a full-page redirect, not swapped into the form.
        assert response["HX-Redirect"].startswith(reverse("account_login"))
        assert b"glasbak" not in response.content
        return
    assert_status(response, persona, REPORTERS, 200)
    assert (b"Zwerfvuil bij de glasbak" in response.content) == (persona in REPORTERS)


@pytest.mark.parametrize(
    ("status", "shown"),
    [
        (Status.NEW, False),
        (Status.ACCEPTED, True),
        (Status.CANDIDATE, True),
        (Status.PRIORITY, True),
        (Status.DECLINED, False),
        (Status.RESOLVED, False),
        (Status.PARKED, False),
    ],
)
def test_only_public_open_problems_are_suggested(as_persona, personas, make_problem, status, shown):
    # Reported by someone else: a new report is not even visible to this resident.
    make_problem(status, title="Kapotte lantaarn Marshallaan", reporter=personas.second_resident)
    page = suggest(as_persona("resident"), personas, "lantaarn kapot")
    assert ("Kapotte lantaarn Marshallaan" in page) == shown


def test_merged_problems_are_not_suggested(as_persona, personas, make_problem):
    from problems.services import problem_transition
    from problems.workflow import Move

    stays = make_problem(Status.ACCEPTED, title="Hondenpoep op het grasveld")
    goes = make_problem(Status.ACCEPTED, title="Hondenpoep grasveld Talmalaan")
    problem_transition(problem=goes, move=Move.MERGE, actor=None, actors={"chair"}, into=stays)
    page = suggest(as_persona("resident"), personas, "hondenpoep")
    assert "Hondenpoep op het grasveld" in page
    assert "Hondenpoep grasveld Talmalaan" not in page


def test_other_neighbourhoods_are_not_suggested(as_persona, personas, make_problem):
    make_problem(
        Status.ACCEPTED,
        title="Zwerfvuil in Poelenburg",
        neighbourhood=personas.other_hood,
        reporter=personas.outsider,
    )
    page = suggest(as_persona("resident"), personas, "zwerfvuil")
    assert "Poelenburg" not in page
    assert "We found no similar problems" in page


def test_at_most_five_best_first(personas, make_problem):
    for number in range(7):
        make_problem(Status.ACCEPTED, title=f"Zwerfvuil rond blok {number}")
    best = make_problem(Status.ACCEPTED, title="Zwerfvuil bij de glasbak Marshallaan")
    found = similar_problems(personas.hood, "zwerfvuil glasbak")
    assert len(found) == SIMILAR_LIMIT
    assert found[0] == best


def test_more_support_comes_first_among_equals(personas, make_problem):
    quiet = make_problem(Status.ACCEPTED, title="Scooters op de stoep")
    busy = make_problem(Status.ACCEPTED, title="Scooters op het plein")
    problem_support(problem=busy, user=personas.second_resident)
    assert similar_problems(personas.hood, "scooters") == [busy, quiet]


def test_short_or_empty_titles_suggest_nothing(as_persona, personas, make_problem):
    make_problem(Status.ACCEPTED, title="Te hard rijden op de Marshallaan")
    client = as_persona("resident")
    for title in ["", "te", "   ", "de het een"]:
        assert "Marshallaan" not in suggest(client, personas, title)
        assert "We found no similar problems" not in suggest(client, personas, title)


def test_suggestion_shows_support_count_and_a_support_button(as_persona, personas, make_problem):
    problem = make_problem(Status.ACCEPTED, title="Geluidsoverlast scooters 's nachts")
    problem_support(problem=problem, user=personas.second_resident)
    page = suggest(as_persona("resident"), personas, "scooters nachts")
    assert "1 resident has this problem too" in page
    assert f'href="{reverse("problem", args=[personas.hood.slug, problem.pk])}"' in page
    support = reverse("problem_support", args=[personas.hood.slug, problem.pk])
    assert f'action="{support}"' in page
    assert "I have this problem too" in page
    assert 'name="csrfmiddlewaretoken"' in page


def test_who_already_supports_gets_no_second_button(as_persona, personas, make_problem):
    problem = make_problem(Status.ACCEPTED, title="Geluidsoverlast scooters 's nachts")
    problem_support(problem=problem, user=personas.resident)
    page = suggest(as_persona("resident"), personas, "scooters")
    assert "You said you have this problem too." in page
    assert "I have this problem too" not in page


def test_professionals_see_suggestions_without_support_button(as_persona, personas, make_problem):
    make_problem(Status.ACCEPTED, title="Geluidsoverlast scooters 's nachts")
    page = suggest(as_persona("wijkagent"), personas, "scooters")
    assert "Geluidsoverlast scooters" in page
    assert "I have this problem too" not in page


def test_sensitive_problem_matches_and_shows_only_its_public_title(
    as_persona, personas, make_problem
):
    problem = make_problem(
        Status.ACCEPTED,
        category="drugsoverlast",
        title="Dealer VERTROUWELIJK portiek nummer 12",
        description="Namen en adressen",
        street="Talmalaan",
    )
    problem_edit(
        problem=problem,
        actor=personas.chair,
        role="chair",
        public_summary="Drugsoverlast omgeving Talmalaan",
    )
    client = as_persona("resident")
    assert "Drugsoverlast omgeving" not in suggest(client, personas, "dealer portiek")
    assert "VERTROUWELIJK" not in suggest(client, personas, "VERTROUWELIJK")
    page = suggest(client, personas, "overlast Talmalaan")
    assert "Drugsoverlast omgeving Talmalaan" in page
    assert "VERTROUWELIJK" not in page and "portiek" not in page


def test_sensitive_problem_without_summary_matches_on_category_and_street(
    as_persona, personas, make_problem
):
    make_problem(
        Status.ACCEPTED,
        category="drugsoverlast",
        title="Dealer VERTROUWELIJK",
        street="Talmalaan",
    )
    page = suggest(as_persona("resident"), personas, "drugsoverlast talmalaan")
    assert "Drug nuisance near Talmalaan" in page
    assert "VERTROUWELIJK" not in page


def test_html_in_titles_is_escaped(as_persona, personas, make_problem):
    make_problem(Status.ACCEPTED, title="Glasbak <b>vol</b>")
    page = suggest(as_persona("resident"), personas, "glasbak")
    assert "Glasbak &lt;b&gt;vol&lt;/b&gt;" in page


def test_without_javascript_the_form_page_shows_the_suggestions(as_persona, personas, make_problem):
    make_problem(Status.ACCEPTED, title="Zwerfvuil bij de glasbak")
    client = as_persona("resident")
    response = client.get(similar_url(personas, "glasbak"))
    report = reverse("report:problem_report", args=[personas.hood.slug])
    assert response.status_code == 302 and response.url == f"{report}?title=glasbak"
    page = client.get(response.url).content.decode()
    assert 'value="glasbak"' in page and "Zwerfvuil bij de glasbak" in page


def test_form_that_comes_back_shows_the_suggestions(as_persona, personas, make_problem):
    make_problem(Status.ACCEPTED, title="Zwerfvuil bij de glasbak")
    response = as_persona("resident").post(
        reverse("report:problem_report", args=[personas.hood.slug]), {"title": "vuil glasbak"}
    )
    assert response.status_code == 200
    assert "Zwerfvuil bij de glasbak" in response.content.decode()


@pytest.mark.usefixtures("postgres")
def test_trigrams_forgive_typing_errors(personas, make_problem):
    problem = make_problem(Status.ACCEPTED, title="Zwerfvuil bij de glasbak")
    make_problem(Status.ACCEPTED, title="Te hard rijden op de Marshallaan")
    assert similar_problems(personas.hood, "zwerfvul glasbakken") == [problem]
