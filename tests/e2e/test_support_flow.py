"""A second resident on a phone finds a problem on the register and says "Ik heb hier ook last
van": with htmx the count goes up in place; without JavaScript the form does the same."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from problems.models import Category, Follow, Problem, Support
from problems.services import problem_report, problem_transition
from problems.workflow import Move
from tests.conftest import Personas
from tests.e2e.support import NewPage, check_accessibility, log_in

TITLE = "Kapotte lantaarn bij het speelveld"


@pytest.fixture
def problem(personas: Personas) -> Problem:
    problem = problem_report(
        neighbourhood=personas.hood,
        reporter=personas.resident,
        category=Category.objects.get(slug="verlichting"),
        title=TITLE,
        description="De lantaarn is al weken kapot; het is er 's avonds donker.",
        street="Marshallaan",
        times_of_day=["evening", "night"],
    )
    problem_transition(problem=problem, move=Move.ACCEPT, actor=personas.chair, actors={"chair"})
    return problem


def open_problem_from_the_register(page: Page, personas: Personas) -> None:
    page.goto(personas.hood.get_absolute_url())
    log_in(page, personas.second_resident.email)
    register = reverse("problem_list", args=[personas.hood.slug])
    page.locator(f'main a[href="{register}"]').first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Problemen in {personas.hood.name}")
    check_accessibility(page)
    page.get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.get_by_text("0 bewoners hebben hier ook last van")).to_be_visible()
    check_accessibility(page)


def expect_supported(page: Page, personas: Personas, problem: Problem) -> None:
    expect(page.get_by_text("1 bewoner heeft hier ook last van")).to_be_visible()
    expect(page.get_by_role("button", name="Mijn steun intrekken")).to_be_visible()
    expect(page.get_by_role("button", name="Niet meer volgen")).to_be_visible()
    check_accessibility(page)
    assert Support.objects.filter(problem=problem, user=personas.second_resident).exists()
    assert Follow.objects.filter(problem=problem, user=personas.second_resident).exists()
    problem.refresh_from_db()
    assert problem.support_count == 1


def test_second_resident_supports_a_problem_on_a_phone(
    page: Page, personas: Personas, problem: Problem
) -> None:
    open_problem_from_the_register(page, personas)
    address = page.url
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_role("button", name="Ik heb hier ook last van").click()
    assert answer.value.request.headers.get("hx-request") == "true"  # swapped in place
    expect_supported(page, personas, problem)
    assert page.url == address

    # Taking it back lowers the count again, still in place.
    page.get_by_role("button", name="Mijn steun intrekken").click()
    expect(page.get_by_text("0 bewoners hebben hier ook last van")).to_be_visible()
    expect(page.get_by_role("button", name="Ik heb hier ook last van")).to_be_visible()
    check_accessibility(page)
    problem.refresh_from_db()
    assert problem.support_count == 0


def test_supporting_works_without_javascript(
    new_page: NewPage, personas: Personas, problem: Problem
) -> None:
    page = new_page(java_script_enabled=False)
    open_problem_from_the_register(page, personas)
    page.get_by_role("button", name="Ik heb hier ook last van").click()
    expect(page.get_by_text("Dank u wel. Uw steun is geteld")).to_be_visible()
    expect_supported(page, personas, problem)
