"""The chair moderates the register: accepting a new report with one tap (also without
JavaScript), declining one with a reason the reporter reads on its timeline, and merging a
duplicate into the problem that stays. Every page visited is checked with axe."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django.core import mail
from django.urls import reverse
from playwright.sync_api import Locator, Page, expect

from problems.models import Category, Follow, Problem, Support, TimelineEntry
from problems.services import (
    problem_follow,
    problem_report,
    problem_support,
    problem_transition,
)
from problems.workflow import Move, Status
from tests.conftest import Personas
from tests.e2e.support import NewPage, check_accessibility, log_in

NEW_TITLE = "Gat in de stoep bij de basisschool"
DECLINED_TITLE = "Buren maken ruzie over de heg"
REASON = "Dit is een zaak tussen buren; de buurtbemiddeling kan hierbij helpen."
STAYS_TITLE = "Hondenpoep op het grasveld aan de Marshallaan"
DUPLICATE_TITLE = "Veel hondenpoep bij het speelveld"


def report(personas: Personas, title: str, *, slug: str = "verkeer") -> Problem:
    """A new report by a resident, as the report form would make it."""
    return problem_report(
        neighbourhood=personas.hood,
        reporter=personas.resident,
        category=Category.objects.get(slug=slug),
        title=title,
        description="Het is al weken zo; er is al iemand over gestruikeld.",
        street="Marshallaan",
    )


def accept(personas: Personas, problem: Problem) -> Problem:
    problem_transition(problem=problem, move=Move.ACCEPT, actor=personas.chair, actors={"chair"})
    return problem


def open_queue_as_chair(page: Page, personas: Personas) -> None:
    """Log in with code and authenticator, then go to the queue from the neighbourhood page."""
    page.goto(personas.hood.get_absolute_url())
    check_accessibility(page)
    log_in(page, personas.chair.email, second_factor=True)
    page.goto(personas.hood.get_absolute_url())
    check_accessibility(page)
    page.get_by_role("navigation", name="Werk in deze buurt").get_by_role(
        "link", name="Nieuwe meldingen beoordelen"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Beoordelen")
    assert urlsplit(page.url).path == reverse("team:problem_queue", args=[personas.hood.slug])
    check_accessibility(page)


def status_mails(to: str | None) -> list[tuple[str, str]]:
    """(subject, body) of the status mails to this address (the live server runs in this
    process, and the mail task runs at once in tests)."""
    return [
        (str(m.subject), str(m.body))
        for m in mail.outbox
        if to in m.to and "Nieuwe status" in str(m.subject)
    ]


def for_number(action: str, problem: Problem) -> re.Pattern[str]:
    """A button or link in the queue: the action, and (for screen readers) the number."""
    return re.compile(rf"^{re.escape(action)}\s*: #{problem.pk}\b")


def new_reports(page: Page) -> Locator:
    return page.get_by_role("region", name=re.compile(r"^Nieuwe meldingen"))


def queue_item(page: Page, problem: Problem) -> Locator:
    return (
        new_reports(page)
        .get_by_role("listitem")
        .filter(has=page.get_by_role("heading", level=3, name=f"#{problem.pk} {problem.title}"))
    )


def expect_on_the_register_for_everyone(new_page: NewPage, personas: Personas, title: str) -> None:
    """An anonymous visitor finds the problem on the public register and opens it."""
    visitor = new_page()
    visitor.goto(reverse("problem_list", args=[personas.hood.slug]))
    expect(visitor.get_by_role("heading", level=1)).to_have_text(
        f"Problemen in {personas.hood.name}"
    )
    check_accessibility(visitor)
    visitor.get_by_role("link", name=title).click()
    expect(visitor.get_by_role("heading", level=1)).to_have_text(title)
    expect(visitor.locator(".problem-meta .problem-status")).to_have_text("Geaccepteerd")
    expect(visitor.get_by_text("0 bewoners hebben hier ook last van")).to_be_visible()
    history = visitor.get_by_role("region", name="Geschiedenis")
    expect(history.get_by_role("listitem").filter(has_text="Geaccepteerd")).to_have_count(1)
    check_accessibility(visitor)


def expect_not_public(new_page: NewPage, personas: Personas, problem: Problem) -> None:
    """Not accepted (yet): off the public register, and a 404 for an anonymous visitor."""
    visitor = new_page()
    visitor.goto(reverse("problem_list", args=[personas.hood.slug]))
    check_accessibility(visitor)
    expect(visitor.get_by_role("link", name=problem.title)).to_have_count(0)
    # Asked without loading it in the page: a 404 there is a console error, failing the test.
    assert visitor.request.get(problem.get_absolute_url()).status == 404
    visitor.close()


def accept_from_the_queue(page: Page, personas: Personas, problem: Problem) -> None:
    open_queue_as_chair(page, personas)
    item = queue_item(page, problem)
    expect(item).to_contain_text("Mohamed Bouzid")  # the team sees who reported it
    expect(item).to_contain_text("Nieuw")
    # One tap: a plain form, no extra step (the accessible name carries the number).
    item.get_by_role("button", name=for_number("Accepteren", problem)).click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Beoordelen")  # back in the queue
    expect(page.get_by_role("status")).to_contain_text(
        "Opgeslagen: Geaccepteerd. Volgers krijgen hierover een e-mail."
    )
    expect(queue_item(page, problem)).to_have_count(0)
    expect(new_reports(page)).to_contain_text("Er wachten geen nieuwe meldingen.")
    check_accessibility(page)
    problem.refresh_from_db()
    assert problem.status == Status.ACCEPTED
    assert problem.accepted_at is not None
    entry = TimelineEntry.objects.get(problem=problem, move=Move.ACCEPT)
    assert entry.actor == personas.chair and entry.actor_role == "chair"
    # The reporter follows their own report and hears about it; the chair does not.
    [(subject, _body)] = status_mails(personas.resident.email)
    assert problem.title in subject and "Geaccepteerd" in subject
    assert status_mails(personas.chair.email) == []


def test_chair_accepts_a_new_report_and_it_goes_public(
    new_page: NewPage, personas: Personas
) -> None:
    problem = report(personas, NEW_TITLE)
    expect_not_public(new_page, personas, problem)
    accept_from_the_queue(new_page(), personas, problem)
    expect_on_the_register_for_everyone(new_page, personas, NEW_TITLE)


def test_accepting_works_without_javascript(new_page: NewPage, personas: Personas) -> None:
    problem = report(personas, NEW_TITLE)
    accept_from_the_queue(new_page(java_script_enabled=False), personas, problem)
    expect_on_the_register_for_everyone(new_page, personas, NEW_TITLE)


def test_chair_declines_a_report_with_a_reason(new_page: NewPage, personas: Personas) -> None:
    problem = report(personas, DECLINED_TITLE, slug="overig")
    page = new_page()
    open_queue_as_chair(page, personas)
    queue = page.url

    # Declining needs a reason, so it opens the status page instead of acting at once.
    queue_item(page, problem).get_by_role("link", name=for_number("Afwijzen", problem)).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Status veranderen van probleem #{problem.pk}"
    )
    form = page.get_by_role("region", name="Afwijzen")
    expect(form.get_by_label("Openbare reden")).to_be_visible()
    check_accessibility(page)

    # Without a reason: an error in Dutch, and nothing changes.
    form.get_by_role("button", name="Afwijzen").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Geef een reden; iedereen kan die lezen.")
    expect(page.get_by_label("Openbare reden")).to_have_attribute("aria-invalid", "true")
    check_accessibility(page)
    problem.refresh_from_db()
    assert problem.status == Status.NEW
    assert not TimelineEntry.objects.filter(problem=problem, move=Move.DECLINE).exists()

    summary.get_by_role("link", name="Geef een reden; iedereen kan die lezen.").click()
    expect(page.get_by_label("Openbare reden")).to_be_focused()
    page.get_by_label("Openbare reden").fill(REASON)
    page.get_by_label("Vertrouwelijke notitie").fill("Bewoner op nummer 14 belde ook al.")
    page.get_by_role("region", name="Afwijzen").get_by_role("button", name="Afwijzen").click()

    # Back in the queue, where the report is gone.
    expect(page).to_have_url(queue)
    expect(page.get_by_role("status")).to_contain_text("Opgeslagen: Afgewezen.")
    expect(queue_item(page, problem)).to_have_count(0)
    check_accessibility(page)
    problem.refresh_from_db()
    assert problem.status == Status.DECLINED
    entry = TimelineEntry.objects.get(problem=problem, move=Move.DECLINE)
    assert entry.public_note == REASON
    [(subject, body)] = status_mails(personas.resident.email)
    assert "Afgewezen" in subject and REASON in body
    assert "Bewoner op nummer 14" not in body

    # The reporter reads why on the problem's timeline; the confidential note stays inside.
    reporter = new_page()
    reporter.goto(personas.hood.get_absolute_url())
    log_in(reporter, personas.resident.email)
    reporter.get_by_role("navigation", name="Hoofdmenu").get_by_role(
        "link", name="Mijn meldingen"
    ).click()
    expect(reporter.get_by_role("heading", level=1)).to_have_text("Mijn meldingen")
    check_accessibility(reporter)
    reporter.get_by_role("link", name=DECLINED_TITLE).click()
    expect(reporter.get_by_role("heading", level=1)).to_have_text(DECLINED_TITLE)
    expect(reporter.locator(".problem-meta .problem-status")).to_have_text("Afgewezen")
    declined = (
        reporter.get_by_role("region", name="Geschiedenis")
        .get_by_role("listitem")
        .filter(has_text="Afgewezen")
    )
    expect(declined).to_contain_text(REASON)
    expect(reporter.get_by_text("Bewoner op nummer 14")).to_have_count(0)
    check_accessibility(reporter)

    # Declined straight from "new", the team never accepted it: it stays off the register
    # (models.PUBLIC_Q), and its page answers 404 to everyone else.
    expect_not_public(new_page, personas, problem)


def test_chair_merges_a_duplicate_into_the_problem_that_stays(
    new_page: NewPage, personas: Personas
) -> None:
    stays = accept(personas, report(personas, STAYS_TITLE, slug="zwerfvuil"))
    duplicate = accept(personas, report(personas, DUPLICATE_TITLE, slug="zwerfvuil"))
    problem_support(problem=stays, user=personas.second_resident)
    problem_support(problem=duplicate, user=personas.second_resident)  # counts once after
    problem_support(problem=duplicate, user=personas.minute_taker)
    problem_follow(problem=stays, user=personas.wijkagent)  # never followed the duplicate

    page = new_page()
    page.goto(personas.hood.get_absolute_url())
    log_in(page, personas.chair.email, second_factor=True)
    page.goto(reverse("problem_list", args=[personas.hood.slug]))
    check_accessibility(page)
    page.get_by_role("link", name=DUPLICATE_TITLE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(DUPLICATE_TITLE)
    expect(page.get_by_text("2 bewoners hebben hier ook last van")).to_be_visible()
    check_accessibility(page)

    # The team's panel on the problem's page: merging asks for the number of the one that stays.
    panel = page.get_by_role("region", name="Voor het team")
    merge = panel.locator("details").filter(has_text="Samenvoegen met een ander probleem")
    merge.locator("summary").click()
    number = merge.get_by_label("Nummer van het probleem dat blijft")
    expect(number).to_be_visible()
    check_accessibility(page)

    # A slip of the finger: its own number. The status page says why, in Dutch.
    number.fill(str(duplicate.pk))
    merge.get_by_role("button", name="Samenvoegen met een ander probleem").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Status veranderen van probleem #{duplicate.pk}"
    )
    expect(page.get_by_role("alert")).to_contain_text(
        "Een probleem kan niet met zichzelf worden samengevoegd."
    )
    check_accessibility(page)
    duplicate.refresh_from_db()
    assert duplicate.status == Status.ACCEPTED and duplicate.merged_into is None

    page.get_by_label("Nummer van het probleem dat blijft").fill(str(stays.pk))
    page.get_by_role("button", name="Samenvoegen met een ander probleem").click()

    # Back on the old problem's page: merged, pointing to the one that stays.
    expect(page).to_have_url(re.compile(re.escape(duplicate.get_absolute_url()) + "$"))
    expect(page.get_by_role("status").filter(has_text="Opgeslagen")).to_contain_text(
        "Opgeslagen: Samengevoegd met een ander probleem."
    )
    expect(page.locator(".problem-meta .problem-status")).to_have_text("Samengevoegd")
    note = page.get_by_role("note")
    expect(note).to_contain_text("Dit probleem is samengevoegd met een ander probleem.")
    expect(page.get_by_text("0 bewoners hebben hier ook last van")).to_be_visible()
    check_accessibility(page)

    duplicate.refresh_from_db()
    stays.refresh_from_db()
    assert duplicate.status == Status.MERGED and duplicate.merged_into == stays
    assert (duplicate.support_count, stays.support_count) == (0, 2)
    assert set(Support.objects.filter(problem=stays).values_list("user", flat=True)) == {
        personas.second_resident.pk,
        personas.minute_taker.pk,
    }
    assert not Support.objects.filter(problem=duplicate).exists()
    assert not Follow.objects.filter(problem=duplicate).exists()
    # Who followed the duplicate hears where it went, and follows that one now.
    [(subject, body)] = status_mails(personas.minute_taker.email)
    assert DUPLICATE_TITLE in subject and "Samengevoegd" in subject
    assert f"Het is samengevoegd met ‘{STAYS_TITLE}’. U volgt nu dat probleem." in body
    assert Follow.objects.filter(problem=stays, user=personas.minute_taker).exists()
    # Who followed only the problem that stays is not told of a report they never followed.
    assert status_mails(personas.wijkagent.email) == []

    # An anonymous visitor on the old page is sent on to the problem that stays.
    visitor = new_page()
    visitor.goto(duplicate.get_absolute_url())
    expect(visitor.get_by_role("heading", level=1)).to_have_text(DUPLICATE_TITLE)
    check_accessibility(visitor)
    visitor.get_by_role("note").get_by_role("link", name=STAYS_TITLE).click()
    expect(visitor).to_have_url(re.compile(re.escape(stays.get_absolute_url()) + "$"))
    expect(visitor.get_by_role("heading", level=1)).to_have_text(STAYS_TITLE)
    expect(visitor.get_by_text("2 bewoners hebben hier ook last van")).to_be_visible()
    merged_in = (
        visitor.get_by_role("region", name="Geschiedenis")
        .get_by_role("listitem")
        .filter(has_text="Een andere melding is hiermee samengevoegd")
    )
    expect(merged_in.get_by_role("link", name=DUPLICATE_TITLE)).to_be_visible()
    check_accessibility(visitor)
