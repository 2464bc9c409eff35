"""The accountability loop in the browser, end to end: an action agreed at one meeting, progress
posted by the wijkagent from "Mijn acties", reported back and judged at the next meeting, the
priority resolved by the meeting, and a resident answering "Is het beter geworden?" from the
link in their mail, on a phone, without logging in."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

from django.core import mail
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import Page, expect

from meetings.actions.models import Action, ActionStatus, ActionUpdate, Judgement, SurveyAnswer
from meetings.actions.services import surveys_send_due
from meetings.planning.models import Meeting
from meetings.services import agenda_publish, meeting_create
from problems.models import Category, Problem
from problems.services import problem_report, problem_support, problem_transition
from problems.workflow import ROUND, Move, Status
from tests.conftest import Personas
from tests.e2e.support import DESKTOP, NewPage, check_accessibility, log_in

TITLE = "Hangjongeren en geluidsoverlast op het Columbusplein"
OUTCOME = "Twee avonden per week surveillance op het Columbusplein tussen 21 en 23 uur"
PROGRESS = "Dinsdag en donderdag gesurveilleerd; twee jongeren aangesproken."
DECISION = "Het is al twee maanden rustig op het plein: opgelost."
SURVEY_LINK = re.compile(r"https?://\S+/link/beter/\S+/")


def priority(personas: Personas) -> Problem:
    problem = problem_report(
        neighbourhood=personas.hood,
        reporter=personas.resident,
        category=Category.objects.get(slug="jeugdoverlast"),
        title=TITLE,
        description="Elke avond tot na middernacht harde muziek en scooters.",
        street="Columbusplein",
    )
    for move in (Move.ACCEPT, Move.NOMINATE):
        problem_transition(problem=problem, move=move, actor=personas.chair, actors={"chair"})
    problem_support(problem=problem, user=personas.second_resident)
    problem_transition(problem=problem, move=Move.PRIORITISE, actor=None, actors={ROUND})
    return problem


def meeting(personas: Personas, starts_in: timedelta) -> Meeting:
    starts_at = timezone.now() + starts_in
    found = meeting_create(
        neighbourhood=personas.hood,
        starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2),
        place="Buurthuis De Linde",
    )
    agenda_publish(meeting=found)
    return found


def go_to_item(chair: Page, title: str) -> None:
    while chair.locator("#current-title").inner_text() != title:
        before = chair.locator("#current-title").inner_text()
        chair.locator("#next-item").click()
        expect(chair.locator("#current-title")).not_to_have_text(before)


def test_an_action_is_agreed_progressed_reported_back_judged_resolved_and_residents_answer(
    new_page: NewPage, personas: Personas, browser_problems: list[str]
) -> None:
    hood = personas.hood
    problem = priority(personas)
    first = meeting(personas, timedelta(minutes=-30))

    # Meeting 1: the chair agrees an action under "Aanpak" on the agenda screen.
    chair = new_page(viewport=DESKTOP)
    chair.goto(hood.get_absolute_url())
    log_in(chair, personas.chair.email, second_factor=True)
    chair.goto(reverse("room:meeting_screen", args=[hood.slug, first.pk]))
    chair.locator("#start-meeting").click()
    expect(chair.locator("#current-title")).to_have_text("Opening en kennismaking")
    go_to_item(chair, "Aanpak")
    section = chair.locator(f"#approach-{problem.pk}")
    expect(section).to_contain_text(TITLE)
    check_accessibility(chair)
    section.get_by_label("Wat moet er precies bereikt worden?").fill(OUTCOME)
    section.get_by_label("Eigenaar (organisatie)").select_option(label=personas.police.name)
    section.get_by_label("Eigenaar (persoon)").select_option(value=str(personas.wijkagent.pk))
    due = timezone.localdate() + timedelta(days=21)
    section.get_by_label("Klaar op").fill(due.isoformat())
    chair.locator(f"#new-action-{problem.pk}-save").click()
    expect(chair.locator(f"#approach-{problem.pk} .action-row")).to_contain_text(OUTCOME)
    check_accessibility(chair)
    action = Action.objects.get(problem=problem)
    assert (action.meeting_id, action.owner_organisation_id, action.due_date) == (
        first.pk,
        personas.police.pk,
        due,
    )
    chair.locator("#close-meeting").click()
    chair.locator("#close-meeting-confirm").click()
    expect(chair.locator("#close-meeting")).to_have_count(0)
    assert Meeting.objects.get(pk=first.pk).status == Meeting.Status.CLOSED

    # Between the meetings: the wijkagent posts progress from "Mijn acties", on a phone.
    agent = new_page()
    agent.goto(hood.get_absolute_url())
    log_in(agent, personas.wijkagent.email, second_factor=True)
    agent.get_by_role("navigation", name="Hoofdmenu").get_by_role(
        "link", name="Mijn acties"
    ).click()
    row = agent.locator(".action-row", has_text=OUTCOME)
    expect(row).to_be_visible()
    check_accessibility(agent)
    row.locator("summary").click()
    row.get_by_label("Wat is er gebeurd?").fill(PROGRESS)
    row.get_by_role("button", name="Voortgang doorgeven").click()
    expect(agent.locator(".action-row", has_text=OUTCOME)).to_contain_text(PROGRESS)
    check_accessibility(agent)
    assert ActionUpdate.objects.filter(
        action=action, kind=ActionUpdate.Kind.PROGRESS, text=PROGRESS
    ).exists()

    # Meeting 2: "Terugkoppeling" shows the action with its progress; the room judges it and
    # the meeting resolves the priority.
    second = meeting(personas, timedelta(minutes=5))
    chair.goto(reverse("room:meeting_screen", args=[hood.slug, second.pk]))
    chair.locator("#start-meeting").click()
    go_to_item(chair, "Terugkoppeling")
    listed = chair.locator(f"#report-back-action-{action.pk}")
    expect(listed).to_contain_text(OUTCOME)
    expect(listed).to_contain_text(PROGRESS)
    check_accessibility(chair)
    listed.get_by_label("Beter").check()
    listed.get_by_label("Afsluiten").check()
    chair.locator(f"#judge-{action.pk}-save").click()
    expect(chair.locator(f"#report-back-action-{action.pk} summary")).to_contain_text(
        "Oordeel aanpassen"
    )
    judgement = Judgement.objects.get(action=action, meeting=second)
    assert (judgement.effect, judgement.verdict) == ("better", "close")
    assert Action.objects.get(pk=action.pk).status == ActionStatus.DONE

    chair.locator(f"#resolve-{problem.pk}").click()
    chair.get_by_label("Het besluit van het overleg").fill(DECISION)
    chair.locator(f"#resolve-{problem.pk}-save").click()
    expect(chair.locator("#report-back-panel")).to_contain_text(DECISION)
    check_accessibility(chair)
    assert Problem.objects.get(pk=problem.pk).status == Status.RESOLVED
    resolution = problem.timeline.get(move=Move.RESOLVE)
    assert (resolution.meeting_id, resolution.public_note) == (second.pk, DECISION)

    # The public action page and the accountability page tell the same story.
    public = new_page()
    public.goto(reverse("actions:action", args=[hood.slug, action.pk]))
    expect(public.get_by_role("main")).to_contain_text(PROGRESS)
    check_accessibility(public)
    public.goto(reverse("actions:accountability", args=[hood.slug]))
    expect(public.get_by_role("main")).to_contain_text(personas.police.name)
    check_accessibility(public)

    # Three weeks later the supporter is asked once, by mail, whether it got better; the link
    # opens on her phone without logging in.
    mail.outbox.clear()
    assert surveys_send_due(timezone.now() + timedelta(days=22)) == 1
    to_her = [m for m in mail.outbox if personas.second_resident.email in m.to]
    assert len(to_her) == 1
    found = SURVEY_LINK.search(str(to_her[0].body))
    assert found is not None, to_her[0].body
    resident = new_page()
    resident.goto(urlsplit(found.group(0)).path)  # the mail names SITE_URL; open it here
    expect(resident.get_by_role("heading", level=1)).to_have_text("Is het beter geworden?")
    check_accessibility(resident)
    resident.get_by_label("Beter").check()
    resident.get_by_role("button", name="Antwoord versturen").click()
    expect(resident.get_by_role("heading", level=1)).to_have_text("Bedankt voor uw antwoord")
    check_accessibility(resident)
    answer = SurveyAnswer.objects.get(resolution=resolution)
    assert (answer.user_id, answer.answer) == (personas.second_resident.pk, "better")
    assert all(cookie["name"] != "sessionid" for cookie in resident.context.cookies())
    assert browser_problems == []


def test_on_a_phone_without_javascript_residents_sign_up_and_owners_move_a_date(
    new_page: NewPage, personas: Personas, browser_problems: list[str]
) -> None:
    """The action page's plain forms, in Dutch, at phone size, with scripts off: a resident
    signs up to help; the wijkagent's date move without a reason is refused with a clear
    message and changes nothing, and goes through with one."""
    from meetings.actions.services import action_create

    hood = personas.hood
    problem = priority(personas)
    soon = timezone.localdate() + timedelta(days=14)
    cleanup = action_create(
        problem=problem,
        actor=personas.chair,
        role="chair",
        outcome="Buurtschoonmaak op het Columbusplein op zaterdag",
        due_date=soon,
        owner_organisation=None,
        volunteers_needed=1,
    )
    patrol = action_create(
        problem=problem,
        actor=personas.chair,
        role="chair",
        outcome=OUTCOME,
        due_date=soon,
        owner_organisation=personas.police,
        owner_person=personas.wijkagent,
    )

    resident = new_page(java_script_enabled=False)
    resident.goto(hood.get_absolute_url())
    log_in(resident, personas.resident.email)
    resident.goto(reverse("actions:action", args=[hood.slug, cleanup.pk]))
    check_accessibility(resident)
    resident.get_by_role("button", name="Ik help mee").click()
    expect(resident.get_by_role("button", name="Ik help mee")).to_have_count(0)
    check_accessibility(resident)
    assert Action.objects.get(pk=cleanup.pk).status == ActionStatus.OPEN  # enough helpers

    agent = new_page(java_script_enabled=False)
    agent.goto(hood.get_absolute_url())
    log_in(agent, personas.wijkagent.email, second_factor=True)
    agent.goto(reverse("actions:action", args=[hood.slug, patrol.pk]))
    later = soon + timedelta(days=7)
    form = agent.locator("#datum")
    form.get_by_label("Nieuwe datum").fill(later.isoformat())
    form.get_by_role("button", name="Nieuwe datum opslaan").click()
    expect(agent.get_by_text("Geef een reden; iedereen kan die lezen.").first).to_be_visible()
    check_accessibility(agent)
    assert Action.objects.get(pk=patrol.pk).due_date == soon  # nothing half-saved
    # The refused form answers 400 on purpose; the browser logs that status, nothing else.
    refused = reverse("actions:action_due_date", args=[hood.slug, patrol.pk])
    browser_problems[:] = [p for p in browser_problems if not ("400" in p and refused in p)]
    form = agent.locator("#datum")
    form.get_by_label("Nieuwe datum").fill(later.isoformat())
    form.get_by_label("Waarom verschuift de datum?").fill("Eerst overleg met de gemeente.")
    form.get_by_role("button", name="Nieuwe datum opslaan").click()
    expect(agent.get_by_role("main")).to_contain_text("Eerst overleg met de gemeente.")
    moved = Action.objects.get(pk=patrol.pk)
    assert (moved.due_date, moved.first_due_date) == (later, soon)
    assert browser_problems == []
