"""A whole meeting in three browsers: the chair's agenda screen on a laptop, a resident's phone
checking in, and the projector on the venue PC following the chair."""

from __future__ import annotations

import time
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from meetings.planning.models import Meeting
from meetings.room.models import Attendance
from meetings.services import agenda_publish, meeting_create
from problems.models import Category
from problems.services import problem_report, problem_transition
from problems.workflow import Move
from tests.conftest import Personas
from tests.e2e.support import DESKTOP, NewPage, check_accessibility, log_in

CANDIDATE = "Donker fietspad langs het kanaal"
NOTES = "Meerdere bewoners noemen het donkere fietspad."
OFFLINE_NOTES = " Ook 's ochtends is het er te donker."
DECISION = "De gemeente bekijkt extra verlichting; terugkoppeling volgende maand."
# The projector follows within 2 seconds; the margin is for a busy test machine.
FOLLOWS_MS = 3_000


def candidate_problem(personas: Personas) -> None:
    problem = problem_report(
        neighbourhood=personas.hood,
        reporter=personas.resident,
        category=Category.objects.get(slug="verlichting"),
        title=CANDIDATE,
        description="Na zonsondergang is het pad aardedonker.",
        street="Churchilllaan",
    )
    for move in (Move.ACCEPT, Move.NOMINATE):
        problem_transition(problem=problem, move=move, actor=personas.chair, actors={"chair"})


def saved_text(meeting: Meeting, field: str, expected: str) -> str:
    """The text in the database, waiting a little for a save in flight."""
    deadline = time.monotonic() + 10
    while True:
        current = Meeting.objects.get(pk=meeting.pk).current_item
        text = getattr(current, field) if current else ""
        if text == expected or time.monotonic() > deadline:
            return text
        time.sleep(0.2)


def expect_current(chair: Page, projector: Page, title: str) -> None:
    expect(chair.locator("#current-title")).to_have_text(title)
    expect(projector.locator(".stage__title")).to_have_text(title, timeout=FOLLOWS_MS)


def test_chair_runs_a_whole_meeting_with_a_projector_and_a_check_in(
    new_page: NewPage, personas: Personas, browser_problems: list[str]
) -> None:
    hood = personas.hood
    candidate_problem(personas)
    now = timezone.now()
    meeting = meeting_create(
        neighbourhood=hood, starts_at=now, ends_at=now + timedelta(hours=2), place="De Linde"
    )
    agenda_publish(meeting=meeting)

    # The venue PC opens the projector link; nobody is logged in there.
    projector = new_page(viewport=DESKTOP)
    projector.goto(reverse("room:projector", args=[meeting.projector_key]))
    expect(projector.get_by_text("Nieuwe problemen")).to_be_visible()  # the published agenda
    check_accessibility(projector)

    chair = new_page(viewport=DESKTOP)
    chair.goto(hood.get_absolute_url())
    log_in(chair, personas.chair.email, second_factor=True)
    chair.goto(reverse("room:meeting_screen", args=[hood.slug, meeting.pk]))
    check_accessibility(chair)
    chair.locator("#start-meeting").click()
    expect_current(chair, projector, "Opening en kennismaking")
    expect(chair.locator("#timer")).to_be_visible()
    check_accessibility(chair)
    check_accessibility(projector)

    for title in ("Terugkoppeling", "Stand van de buurt", "Nieuwe problemen"):
        chair.locator("#next-item").click()
        expect_current(chair, projector, title)
    expect(projector.locator("#projector-stage").get_by_text(CANDIDATE)).to_be_visible()
    check_accessibility(chair)

    # Notes save as they are typed, and are there after a reload.
    expect(chair.locator("#notes-status")).to_have_text("")
    chair.locator("#notes").fill(NOTES)
    expect(chair.locator("#notes-status")).to_contain_text("Opgeslagen om")
    assert saved_text(meeting, "notes", NOTES) == NOTES
    chair.reload()
    expect(chair.locator("#notes")).to_have_value(NOTES)

    # The venue's wifi drops: the screen says so, keeps the text and sends it when it is back.
    chair.context.set_offline(True)
    chair.locator("#notes").press("End")
    chair.locator("#notes").press_sequentially(OFFLINE_NOTES)
    expect(chair.locator("#save-status")).to_contain_text("offline")
    assert saved_text(meeting, "notes", NOTES) == NOTES
    chair.context.set_offline(False)
    expect(chair.locator("#save-status")).to_contain_text("Opgeslagen om", timeout=15_000)
    assert saved_text(meeting, "notes", NOTES + OFFLINE_NOTES) == NOTES + OFFLINE_NOTES

    expect(chair.locator("#decision-status")).to_have_text("")
    chair.locator("#decision").fill(DECISION)
    expect(chair.locator("#decision-status")).to_contain_text("Opgeslagen om")
    assert saved_text(meeting, "decision", DECISION) == DECISION

    # A resident checks in on their phone from the QR code's address.
    resident = new_page()
    resident.goto(hood.get_absolute_url())
    log_in(resident, personas.resident.email)
    resident.goto(reverse("room:meeting_check_in", args=[hood.slug, meeting.pk]))
    check_accessibility(resident)
    resident.get_by_role("button", name="Ik ben er").click()
    expect(resident.locator(".check-in__done")).to_contain_text("eerste overleg")
    check_accessibility(resident)
    assert Attendance.objects.filter(meeting=meeting, user=personas.resident).count() == 1

    chair.locator("#next-item").click()
    expect_current(chair, projector, "Prioriteren")
    chair.locator("#close-meeting").click()
    chair.locator("#close-meeting-confirm").click()
    expect(projector.get_by_text("Het overleg is afgelopen")).to_be_visible(timeout=FOLLOWS_MS)
    check_accessibility(projector)
    closed = Meeting.objects.get(pk=meeting.pk)
    assert closed.status == Meeting.Status.CLOSED
    assert closed.items.filter(done_at__isnull=False).count() == 4

    # The public agenda, for anyone.
    public = new_page()
    public.goto(reverse("planning:meeting", args=[hood.slug, meeting.pk]))
    expect(public.get_by_text(CANDIDATE)).to_be_visible()
    check_accessibility(public)

    # Going offline on purpose made the browser log the failed requests; nothing else may.
    browser_problems[:] = [p for p in browser_problems if "ERR_INTERNET_DISCONNECTED" not in p]


def test_two_tabs_of_one_browser_are_two_writers(
    new_page: NewPage, personas: Personas, browser_problems: list[str]
) -> None:
    """A second tab of the chair's browser shares its storage, not its saves: what the first
    tab saved meanwhile is shown beside the second tab's text, never overwritten."""
    hood = personas.hood
    now = timezone.now()
    meeting = meeting_create(
        neighbourhood=hood, starts_at=now, ends_at=now + timedelta(hours=2), place="De Linde"
    )
    agenda_publish(meeting=meeting)
    first = new_page(viewport=DESKTOP)
    first.goto(hood.get_absolute_url())
    log_in(first, personas.chair.email, second_factor=True)
    screen = reverse("room:meeting_screen", args=[hood.slug, meeting.pk])
    first.goto(screen)
    first.locator("#start-meeting").click()
    expect(first.locator("#current-title")).to_have_text("Opening en kennismaking")
    second = first.context.new_page()  # same cookies, same localStorage
    second.goto(screen)
    expect(second.locator("#notes")).to_have_value("")

    first.locator("#notes").fill("Tab een: tien bewoners aanwezig.")
    expect(first.locator("#notes-status")).to_contain_text("Opgeslagen om")
    assert saved_text(meeting, "notes", "Tab een: tien bewoners aanwezig.").startswith("Tab een")

    second.locator("#notes").fill("Tab twee: de wijkagent is er ook.")
    conflict = second.locator("#notes-field[data-conflict]")
    expect(conflict).to_be_visible()
    expect(second.locator("#notes-theirs")).to_have_text("Tab een: tien bewoners aanwezig.")
    expect(second.locator("#notes-mine")).to_have_text("Tab twee: de wijkagent is er ook.")
    check_accessibility(second)
    assert saved_text(meeting, "notes", "Tab een: tien bewoners aanwezig.") == (
        "Tab een: tien bewoners aanwezig."
    )
    # The conflict answers 409 on purpose; the browser logs that status, nothing else.
    browser_problems[:] = [p for p in browser_problems if "409" not in p]
