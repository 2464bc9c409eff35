"""A resident on a phone reports a problem, and is shown a similar one while typing the title."""

from __future__ import annotations

import io
import re
from urllib.parse import urlsplit

from django.urls import reverse
from PIL import Image
from playwright.sync_api import FilePayload, Page, expect

from problems.models import Category, Photo, Problem
from problems.services import problem_report, problem_transition
from problems.workflow import Move, Status
from tests.conftest import Personas
from tests.e2e.support import NewPage, check_accessibility, log_in

SIMILAR_TITLE = "Zwerfvuil bij de glasbak"


def accepted_problem(personas: Personas) -> Problem:
    problem = problem_report(
        neighbourhood=personas.hood,
        reporter=personas.second_resident,
        category=Category.objects.get(slug="zwerfvuil"),
        title=SIMILAR_TITLE,
        description="Elke maandag ligt er afval naast de glasbak.",
        street="Marshallaan",
    )
    problem_transition(problem=problem, move=Move.ACCEPT, actor=personas.chair, actors={"chair"})
    return problem


def jpeg() -> bytes:
    out = io.BytesIO()
    exif = Image.Exif()
    exif.get_ifd(0x8825).update({1: "N", 2: (52.0, 4.0, 30.0)})
    Image.new("RGB", (64, 48), "green").save(out, "JPEG", exif=exif)
    return out.getvalue()


def report_path(personas: Personas) -> str:
    return reverse("report:problem_report", args=[personas.hood.slug])


def test_resident_reports_a_problem_and_sees_a_similar_one(page: Page, personas: Personas) -> None:
    accepted_problem(personas)
    page.goto(personas.hood.get_absolute_url())
    log_in(page, personas.resident.email)

    page.goto(report_path(personas))
    expect(page.get_by_role("heading", level=1, name="Een probleem melden")).to_be_visible()
    expect(page.get_by_text("Noodgeval? Bel 112.")).to_be_visible()
    expect(page.get_by_text("Meld Misdaad Anoniem: 0800-7000").first).to_be_visible()
    check_accessibility(page)

    # Typing the title brings up the problem that is already on the register.
    title = page.get_by_label("Titel")
    title.press_sequentially("vuil glasbak", delay=30)
    suggestions = page.locator("#similar-problems")
    expect(suggestions.get_by_role("link", name=SIMILAR_TITLE)).to_be_visible()
    expect(suggestions.get_by_role("button", name="Ik heb hier ook last van")).to_be_visible()
    expect(suggestions).to_contain_text("0 bewoners hebben hier ook last van")
    check_accessibility(page)

    # It is something else after all: report it, forgetting the street at first.
    title.fill("Kapotte bankjes in het park")
    page.get_by_label("Groen en speelplekken").check()
    page.get_by_label("Wat is het probleem?").fill("Alle bankjes bij de vijver zijn vernield.")
    page.get_by_label("'s Avonds").check()
    page.get_by_label("Zaterdag").check()
    page.get_by_label("Sinds wanneer?").fill("sinds de zomer")
    page.get_by_role("button", name="Melding versturen").click()

    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Vul de straat in waar het gebeurt.")
    check_accessibility(page)
    assert not Problem.objects.filter(title="Kapotte bankjes in het park").exists()

    summary.get_by_role("link", name="Vul de straat in waar het gebeurt.").click()
    expect(page.get_by_label("Straat")).to_be_focused()
    page.get_by_label("Straat").fill("Marshallaan")
    page.get_by_label("Foto's").set_input_files(
        files=[FilePayload(name="bankje.jpg", mimeType="image/jpeg", buffer=jpeg())]
    )
    page.get_by_role("button", name="Melding versturen").click()

    problem = Problem.objects.get(title="Kapotte bankjes in het park")
    # (The browser keeps the #id_street of the error link across the redirect.)
    expect(page).to_have_url(re.compile(re.escape(problem.get_absolute_url()) + "(#.*)?$"))
    expect(page.get_by_role("status")).to_contain_text("Het buurtteam bekijkt hem eerst")
    assert problem.reporter == personas.resident
    assert problem.status == Status.NEW
    assert problem.street == "Marshallaan"
    assert problem.times_of_day == ["evening"] and problem.days_of_week == ["sat"]
    assert problem.reporter_name_public is False
    with Image.open(Photo.objects.get(problem=problem).image.path) as image:
        assert not image.getexif()


def test_report_works_without_javascript(new_page: NewPage, personas: Personas) -> None:
    accepted_problem(personas)
    page = new_page(java_script_enabled=False)
    page.goto(personas.hood.get_absolute_url())
    log_in(page, personas.resident.email)
    page.goto(report_path(personas))
    page.get_by_label("Titel").fill("glasbak vol")
    page.get_by_label("Zwerfvuil en afval").check()
    page.get_by_role("button", name="Melding versturen").click()

    # The form comes back with its errors, and with the similar problem under the title.
    expect(page.get_by_role("alert")).to_contain_text("Beschrijf het probleem.")
    expect(
        page.locator("#similar-problems").get_by_role("link", name=SIMILAR_TITLE)
    ).to_be_visible()
    check_accessibility(page)
    page.get_by_label("Wat is het probleem?").fill("De glasbak is altijd vol.")
    page.get_by_label("Straat").fill("Marshallaan")
    page.get_by_role("button", name="Melding versturen").click()
    problem = Problem.objects.get(title="glasbak vol")
    assert urlsplit(page.url).path == problem.get_absolute_url()
