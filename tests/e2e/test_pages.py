"""Whole pages: the enforcing Content-Security-Policy, a desktop screen, page titles."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.conftest import Personas
from tests.e2e.support import DESKTOP, NewPage, check_accessibility, log_in

APPROVE = re.compile(r"Goedkeuren|Approve", re.IGNORECASE)


def visit(page: Page, path: str) -> None:
    response = page.goto(path)
    assert response is not None and response.ok, f"{path}: {response and response.status}"
    check_accessibility(page)


def test_pages_and_htmx_work_under_the_enforcing_csp(
    new_page: NewPage, personas: Personas, browser_problems: list[str]
) -> None:
    """With the policy enforced: no "Refused to ..." / "violates the following Content
    Security Policy directive" and no JS error, htmx loads, and an htmx request does its work.
    """
    page = new_page(bypass_csp=False)
    response = page.goto("/")
    assert response is not None
    policy = response.header_value("content-security-policy") or ""
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    check_accessibility(page)
    assert page.evaluate("() => typeof window.htmx") == "object"

    hood = personas.hood.get_absolute_url()
    for path in (hood, f"{hood}aanmelden/", "/privacy/", "/toegankelijkheid/"):
        visit(page, path)
    # A form with errors: the error summary must not need inline script or style either.
    page.goto(f"{hood}aanmelden/")
    page.get_by_role("button", name="Stuur mij een code").click()
    expect(page.get_by_role("alert")).to_be_visible()
    check_accessibility(page)

    page.goto(hood)
    log_in(page, personas.chair.email, second_factor=True)
    for path in (hood, "/mijn-gegevens/", f"{hood}leden/"):
        visit(page, path)
    assert page.evaluate("() => typeof window.htmx") == "object"

    # The approve button posts through htmx and swaps the row in place: no page load.
    page.evaluate("() => { window.stillTheSamePage = true }")
    row = page.get_by_role("row", name=re.compile(personas.pending_resident.display_name))
    row.get_by_role("button", name=APPROVE).click()
    expect(
        page.get_by_role("status").filter(has_text=personas.pending_resident.display_name)
    ).to_be_visible()
    assert page.evaluate("() => window.stillTheSamePage") is True
    check_accessibility(page)
    assert browser_problems == []


def test_home_and_neighbourhood_on_a_desktop(new_page: NewPage, personas: Personas) -> None:
    page = new_page(viewport=DESKTOP)
    visit(page, "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Buurtoverleggen")
    page.get_by_role("main").get_by_role("link", name=personas.hood.name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Buurtoverleg Kanaleneiland-Noord")
    check_accessibility(page)
    # The support team is named on the public page; residents' names are not.
    team = page.get_by_role("region", name="Het ondersteuningsteam")
    expect(team).to_contain_text(personas.wijkagent.display_name)
    expect(page.get_by_role("main")).not_to_contain_text(personas.resident.display_name)


def test_page_titles_name_the_page_and_then_the_site(page: Page, personas: Personas) -> None:
    """WCAG 2.4.2: the title says which page this is; the site name follows a separator."""
    page.goto("/")
    check_accessibility(page)
    expect(page).to_have_title("Buurtoverleggen – buurtoverleg")
    page.goto(personas.hood.get_absolute_url())
    check_accessibility(page)
    expect(page).to_have_title("Kanaleneiland-Noord – buurtoverleg")
