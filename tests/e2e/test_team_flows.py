"""The support team: logging in with code and authenticator, the chair approving a member."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from playwright.sync_api import Page, expect

from residents.models import Membership
from tests.conftest import Personas
from tests.e2e.support import (
    check_accessibility,
    current_totp,
    expect_logged_in,
    expect_logged_out,
    log_in,
    request_login_code,
)

APPROVE = re.compile(r"Goedkeuren|Approve", re.IGNORECASE)


def test_professional_logs_in_with_code_and_authenticator(page: Page, personas: Personas) -> None:
    page.goto("/")
    check_accessibility(page)
    code = request_login_code(page, personas.wijkagent.email)
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Inloggen").click()

    # The e-mailed code alone is not enough for the support team.
    expect(page.get_by_role("heading", level=1)).to_have_text("Tweede stap: de code uit uw app")
    expect_logged_out(page)
    check_accessibility(page)
    page.get_by_label("Code").fill(current_totp())
    page.get_by_role("button", name="Inloggen").click()

    expect_logged_in(page)
    check_accessibility(page)
    menu = page.get_by_role("navigation", name="Hoofdmenu")
    expect(menu.get_by_role("link", name=personas.hood.name)).to_be_visible()


def test_wrong_authenticator_code_keeps_the_professional_out(
    page: Page, personas: Personas
) -> None:
    page.goto("/")
    check_accessibility(page)
    code = request_login_code(page, personas.wijkagent.email)
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Inloggen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tweede stap: de code uit uw app")
    check_accessibility(page)

    right = current_totp()
    page.get_by_label("Code").fill("000000" if right != "000000" else "111111")
    page.get_by_role("button", name="Inloggen").click()

    error = page.get_by_role("alert")
    expect(error).to_be_visible()
    expect(error).to_contain_text("Deze code klopt niet")
    expect(page.get_by_label("Code")).to_have_attribute("aria-invalid", "true")
    expect_logged_out(page)
    check_accessibility(page)

    # Nothing behind the login opens: the authenticator code is still asked for.
    page.goto("/mijn-gegevens/")
    assert urlsplit(page.url).path != "/mijn-gegevens/"
    expect_logged_out(page)
    check_accessibility(page)


def test_chair_approves_a_pending_member(page: Page, personas: Personas) -> None:
    pending = personas.pending_resident
    page.goto(personas.hood.get_absolute_url())
    check_accessibility(page)
    log_in(page, personas.chair.email, second_factor=True)

    page.get_by_role("navigation", name="Hoofdmenu").get_by_role(
        "link", name=personas.hood.name
    ).click()
    check_accessibility(page)
    page.get_by_role("link", name="Leden", exact=True).click()
    expect(page.get_by_role("heading", level=1, name="Leden")).to_be_visible()
    check_accessibility(page)

    row = page.get_by_role("row", name=re.compile(pending.display_name))
    row.get_by_role("button", name=APPROVE).click()

    notice = page.get_by_role("status").filter(has_text=pending.display_name)
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("Goedgekeurd")
    expect(notice).to_contain_text(f"{pending.display_name} is nu lid")
    check_accessibility(page)
    membership = Membership.objects.get(user=pending, neighbourhood=personas.hood)
    assert membership.status == Membership.Status.ACTIVE

    # After a reload the person is in the list of active members, no longer waiting.
    page.reload()
    check_accessibility(page)
    active = page.get_by_role("region", name=re.compile("Actieve leden"))
    expect(active.get_by_role("row", name=re.compile(pending.display_name))).to_be_visible()
    waiting = page.get_by_role("region", name=re.compile("Wacht op goedkeuring"))
    expect(waiting.get_by_role("row", name=re.compile(pending.display_name))).to_have_count(0)
    expect(waiting.get_by_role("button", name=APPROVE)).to_have_count(0)
