"""A resident on a phone: joining with an invite code, logging in by code, switching language."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core import mail
from playwright.sync_api import Page, expect

from residents.models import Membership, User
from residents.services import invite_codes_create
from tests.conftest import Personas
from tests.e2e.support import (
    NewPage,
    check_accessibility,
    expect_logged_in,
    expect_logged_out,
    log_in,
    mailed_code,
)

HOOD_HEADING = "Buurtoverleg Kanaleneiland-Noord"
JOIN = "Doe mee in deze buurt"
NEW_EMAIL = "nieuw@example.nl"


def open_neighbourhood_from_menu(page: Page, personas: Personas) -> None:
    menu = page.get_by_role("navigation", name="Hoofdmenu")
    menu.get_by_role("link", name=personas.hood.name).click()
    expect(page.get_by_role("heading", level=1, name=HOOD_HEADING)).to_be_visible()
    check_accessibility(page)


def expect_active_member_view(page: Page) -> None:
    expect(page.get_by_role("link", name=JOIN)).to_have_count(0)
    expect(page.get_by_text("Wacht op goedkeuring")).to_have_count(0)


def test_new_resident_joins_with_invite_code_and_logs_in_again(
    page: Page, personas: Personas
) -> None:
    [invite] = invite_codes_create(neighbourhood=personas.hood, by=personas.chair, count=1)

    page.goto("/")
    check_accessibility(page)
    page.get_by_role("main").get_by_role("link", name=personas.hood.name).click()
    expect(page.get_by_role("heading", level=1, name=HOOD_HEADING)).to_be_visible()
    check_accessibility(page)

    page.get_by_role("link", name=JOIN).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Doe mee in Kanaleneiland-Noord")
    check_accessibility(page)
    page.get_by_label("Uw naam").fill("Nieuwe Buur")
    page.get_by_label("E-mailadres").fill(NEW_EMAIL)
    page.get_by_label("Postcode").fill("3527 ab")
    page.get_by_label("Huisnummer").fill("3")
    page.get_by_label("Uitnodigingscode (als u die heeft)").fill(invite.code)
    page.get_by_role("button", name="Stuur mij een code").click()

    expect(page.get_by_label("Code")).to_be_visible()
    check_accessibility(page)
    expect_logged_out(page)
    signup_code = mailed_code(NEW_EMAIL)
    page.get_by_label("Code").fill(signup_code)
    page.get_by_role("button", name="Bevestigen").click()
    expect_logged_in(page)
    check_accessibility(page)

    user = User.objects.get(email=NEW_EMAIL)
    membership = Membership.objects.get(user=user, neighbourhood=personas.hood)
    assert membership.status == Membership.Status.ACTIVE
    invite.refresh_from_db()
    assert invite.used_by == user

    open_neighbourhood_from_menu(page, personas)
    expect_active_member_view(page)

    page.get_by_role("button", name="Uitloggen").click()
    expect_logged_out(page)
    check_accessibility(page)

    log_in(page, NEW_EMAIL)
    assert len(mail.outbox) == 2 and mailed_code(NEW_EMAIL) != signup_code
    open_neighbourhood_from_menu(page, personas)
    expect_active_member_view(page)


def test_resident_logs_in_by_code_without_javascript(new_page: NewPage, personas: Personas) -> None:
    page = new_page(java_script_enabled=False)
    page.goto(personas.hood.get_absolute_url())
    check_accessibility(page)
    assert page.evaluate("() => typeof window.htmx") == "undefined"  # scripts really are off

    log_in(page, personas.resident.email)
    open_neighbourhood_from_menu(page, personas)
    expect_active_member_view(page)


def test_language_switch_keeps_the_page(page: Page, personas: Personas) -> None:
    path = personas.hood.get_absolute_url()
    page.goto(path)
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    check_accessibility(page)

    page.get_by_role("button", name="English").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Neighbourhood meeting Kanaleneiland-Noord"
    )
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("link", name="Take part in this neighbourhood")).to_be_visible()
    assert urlsplit(page.url).path == path
    check_accessibility(page)
