"""A resident votes on a phone during the meeting; the chair's vote panel and the projector
show it within seconds, without reloading."""

from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Locator, Page, expect

from meetings.planning.models import AgendaItem
from meetings.rounds.models import Ballot, PriorityRound
from meetings.services import agenda_publish, meeting_create, meeting_go_to, meeting_start
from problems.models import Category, Problem
from problems.services import problem_report, problem_transition
from problems.workflow import Move
from tests.conftest import Personas
from tests.e2e.support import DESKTOP, NewPage, check_accessibility, log_in

TITLES = ("Donker fietspad langs het kanaal", "Scooters over de stoep bij de school")
# Live results within 2 seconds; the margin is for a busy test machine.
LIVE_MS = 3_500


def candidate(personas: Personas, title: str) -> Problem:
    problem = problem_report(
        neighbourhood=personas.hood,
        reporter=personas.second_resident,
        category=Category.objects.get(slug="verlichting"),
        title=title,
        description="Het is al maanden zo.",
        street="Churchilllaan",
    )
    for move in (Move.ACCEPT, Move.NOMINATE):
        problem_transition(problem=problem, move=move, actor=personas.chair, actors={"chair"})
    return problem


def voters(page: Page, panel: str) -> Locator:
    """The number of voters the panel shows."""
    return page.locator(f"{panel} [data-voters]")


def test_a_vote_in_the_room_shows_on_the_chairs_panel_and_the_projector(
    new_page: NewPage, personas: Personas
) -> None:
    hood = personas.hood
    first, second = (candidate(personas, title) for title in TITLES)
    now = timezone.now()
    meeting = meeting_create(
        neighbourhood=hood, starts_at=now, ends_at=now + timedelta(hours=2), place="De Linde"
    )
    agenda_publish(meeting=meeting)  # opens the round
    round = PriorityRound.objects.get(meeting=meeting)
    meeting_start(meeting=meeting)
    meeting_go_to(meeting=meeting, item=meeting.items.get(kind=AgendaItem.Kind.PRIORITISE))

    projector = new_page(viewport=DESKTOP)
    projector.goto(reverse("room:projector", args=[meeting.projector_key]))
    expect(voters(projector, ".round-panel--public")).to_have_attribute("data-voters", "0")
    check_accessibility(projector)

    chair = new_page(viewport=DESKTOP)
    chair.goto(hood.get_absolute_url())
    log_in(chair, personas.chair.email, second_factor=True)
    chair.goto(reverse("room:meeting_screen", args=[hood.slug, meeting.pk]))
    expect(voters(chair, "#round-live")).to_have_attribute("data-voters", "0")
    check_accessibility(chair)

    # The resident votes on a phone, from the ballot page the QR code on the projector opens.
    resident = new_page()
    resident.goto(hood.get_absolute_url())
    log_in(resident, personas.resident.email)
    resident.goto(reverse("rounds:ballot", args=[hood.slug, round.pk]))
    check_accessibility(resident)
    candidates = {c.problem_id: c.pk for c in round.candidates.all()}
    resident.locator(f'input[name="points-{candidates[first.pk]}"]').fill("3")
    resident.locator(f'input[name="points-{candidates[second.pk]}"]').fill("2")
    resident.locator(".ballot-save").click()
    expect(resident.get_by_role("status").first).to_be_visible()
    check_accessibility(resident)
    ballot = Ballot.objects.get(round=round, voter=personas.resident)
    assert {p.candidate.problem_id: p.points for p in ballot.points.all()} == {
        first.pk: 3,
        second.pk: 2,
    }

    # Both screens follow without a reload; the projector keeps the numbers hidden.
    expect(voters(chair, "#round-live")).to_have_attribute("data-voters", "1", timeout=LIVE_MS)
    expect(chair.locator("#round-live [data-total='3']")).to_have_count(1)
    expect(voters(projector, ".round-panel--public")).to_have_attribute(
        "data-voters", "1", timeout=LIVE_MS
    )
    expect(projector.locator("[data-total]")).to_have_count(0)

    # The chair reveals the results in the room.
    chair.locator("#round-show").click()
    expect(projector.locator(".round-panel--public [data-total='3']")).to_have_count(
        1, timeout=LIVE_MS
    )
    check_accessibility(projector)
    check_accessibility(chair)
