"""A reporter's identity and confidential details reach only those the permission table allows.

Unique marker strings are planted (tests/problems/privacy_walker.py) in the names of three
reporters (one who did not agree to be named, one who agreed for an ordinary problem, one who
agreed for a sensitive problem), in the name typed for someone without an account, in
confidential details, in the real text of a sensitive problem, in a confidential timeline note
and in a report not yet moderated. Then every URL of the app is fetched once per persona, with
real objects of the right kind in its parameters, and every answer is read: HTML, htmx
fragments, JSON, the API and its schema, calendars, and the text of every PDF. The mails sent
meanwhile are read too, with their attachments. The markers show up only where allowed, and do
show up there (so the test would notice them).

The reporter rule (problems.access.Access.sees_reporter): the team and the reporter see who
reported; logged-in members of the neighbourhood see it only if the reporter agreed and the
problem is not sensitive; nobody else, and never in PDFs, the API, the projector, calendars,
links from mails or mail.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.mail import EmailMultiAlternatives
from django.test import Client
from django.urls import reverse

from buurtoverleg.mail.models import Delivery, Mailing
from meetings.mail_kinds import MeetingMail
from problems.mail_kinds import ProblemMail
from problems.services import problem_support, problem_transition
from problems.workflow import Move
from residents.permissions import Perm, can, roles_in
from residents.second_factor import has_totp
from tests.conftest import PERSONA_NAMES, pass_second_factor
from tests.problems.privacy_walker import (
    CONFIDENTIAL,
    ELSEWHERE,
    MARKERS,
    NOTE,
    OPEN_REPORTER,
    PDF_ROUTES,
    REPORTER,
    REPORTERS,
    SECRET_TITLE,
    SENSITIVE_REPORTER,
    UNMODERATED,
    UnfilledRoute,
    World,
    body_text,
    mail_texts,
    planted_world,
    routes,
    urls_of,
    variants,
)

# Each test runs in a savepoint of the module's planted neighbourhood (see `world`).
pytestmark = pytest.mark.django_db

# Everyone of tests/conftest.py, the three reporters themselves, and a chair of another
# neighbourhood asking for the planted objects under their own neighbourhood's address.
IN_THE_HOOD = [*PERSONA_NAMES, "reporter", "open_reporter", "sensitive_reporter"]
WALKERS = [*IN_THE_HOOD, ELSEWHERE]

# Where nobody, not even the team, may find a marker: paper and files that leave the app, the
# projector in a room full of neighbours, the open data, and the pages behind links in mails
# (they act for the person in the link, whoever opens them).
NOBODY = {
    "api_neighbourhoods",
    "api_categories",
    "api_problems",
    "api_problem",
    "api_schema",
    "projector",
    "projector_state",
    "calendar",
    "meeting_ics",
    "unsubscribe",
    "unsubscribe_topic",
    "problem_unfollow_link",
    "ballot_link",
    "survey_link",
}
NOBODY_TYPES = ("application/pdf", "text/calendar")
# Pages that list or search the neighbourhood's members by name (the reporters are members
# too), for those who may see the members.
MEMBER_PAGES = {
    "members",
    "member_roles",
    "meeting_attendance",
    "attendance_search",
    "round_paper",  # finds the resident whose paper ballot is typed in
}

# A GET to these answers 405: they only take POST (anonymous visitors get the login redirect
# first). Each is listed on purpose; a route that stops answering 405 fails the test.
POST_ONLY = {
    "member_approve",
    "member_reject",
    "member_import_confirm",
    "member_import_cancel",
    "invite_codes_generate",
    "meeting_rsvp",
    "meeting_propose",
    "agenda_item_add",
    "agenda_new_problems",
    "agenda_publish",
    "agenda_unpublish",
    "agenda_item_save",
    "agenda_item_remove",
    "agenda_item_move",
    "proposal_decide",
    "meeting_start",
    "meeting_next",
    "meeting_previous",
    "meeting_go_to",
    "meeting_close",
    "meeting_next_roles",
    "item_done",
    "item_reopen",
    "item_text_save",
    "attendance_add",
    "attendance_add_guest",
    "attendance_remove",
    "attendance_walk_ins",
    "minutes_save",
    "minutes_draft",
    "minutes_preview",
    "minutes_finalise",
    "minutes_rerender",
    "minutes_publish",
    "mailing_retry",
    "mail_block_lift",
    "problem_support",
    "problem_support_withdraw",
    "problem_follow",
    "problem_unfollow",
    "problem_reopen_request",
    "action_progress",
    "action_due_date",
    "action_status",
    "action_delay",
    "action_volunteer",
    "action_volunteer_withdraw",
    "approach_analysis_save",
    "approach_action_create",
    "report_back_judgement",
    "report_back_resolve",
}
# A GET to those is refused (405) before any view code runs, the same for everyone: checked
# as these personas (anonymous: the login redirect comes first).
POST_ONLY_CHECKED_BY = ("anonymous", "resident", "chair")
# Routes that answer something else than 200 to everyone, on purpose: the status they answer.
NOT_200 = {
    r"api/^(?:[\s\S]*/)?$": 404,  # the API's catch-all: a JSON 404 for any unknown address
}


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[World]:
    """One planted neighbourhood for the whole module (privacy_walker.planted_world)."""
    for planted in planted_world(django_db_blocker, tmp_path_factory.mktemp("media")):
        planted.variants = variants(planted)
        yield planted


@dataclass(frozen=True)
class Fetched:
    route: str  # the URL name (or pattern of an unnamed route)
    url: str
    status: int
    content_type: str
    text: str | None  # None for an image
    location: str


Walks = dict[str, list[Fetched]]


@pytest.fixture(scope="module")
def walks() -> Walks:
    """Each persona's walk, made once and read by every test of the module."""
    return {}


MEMBER_FILE = b"naam,e-mail,postcode,huisnummer\nNieuwe Buur,nieuw@example.nl,3527AB,20\n"


def _prepare(client: Client, world: World) -> None:
    """What a page needs in the session first: an uploaded member list waits for the preview
    (refused with 403 for everyone but those who manage members, which is fine)."""
    upload = SimpleUploadedFile("leden.csv", MEMBER_FILE, "text/csv")
    url = reverse("members:member_import", kwargs={"slug": world.personas.hood.slug})
    assert client.post(url, {"file": upload}).status_code in (302, 403)


def walk(world: World, walks: Walks, persona: str) -> list[Fetched]:
    """Every URL as this persona (once per module run)."""
    from django.core.cache import cache

    if persona in walks:
        return walks[persona]
    cache.clear()  # the API's throttle counts per address: each persona starts afresh
    client = Client()
    user = world.user(persona)
    if user is not None:
        client.force_login(user)
        if has_totp(user):
            pass_second_factor(client, user)  # as a login with the second factor does
        _prepare(client, world)
    slug = world.slug(persona)
    fetched = []
    for route in routes():
        if route.name in POST_ONLY and persona not in POST_ONLY_CHECKED_BY:
            continue
        for base in urls_of(route, world.table, slug):
            for query, htmx in [("", False), *world.variants.get(route.name or "", [])]:
                url = base + query
                response = client.get(url, headers={"HX-Request": "true"} if htmx else {})
                body = b"".join(response) if response.streaming else response.content
                content_type = response.get("Content-Type", "")
                fetched.append(
                    Fetched(
                        route=route.label,
                        url=url + (" (htmx)" if htmx else ""),
                        status=response.status_code,
                        content_type=content_type,
                        text=body_text(content_type, body),
                        location=response.get("Location", ""),
                    )
                )
    walks[persona] = fetched
    return fetched


def allowed_markers(world: World, persona: str, page: Fetched) -> set[str]:
    if page.route in NOBODY or page.content_type.startswith(NOBODY_TYPES):
        return set()
    user = world.user(persona)
    if user is None:
        return set()
    hood = world.personas.hood
    if can(user, Perm.VIEW_CONFIDENTIAL, hood):
        return set(MARKERS)
    allowed = set()
    if roles_in(user, hood):  # a logged-in member: the name a reporter agreed to show
        allowed.add(OPEN_REPORTER)
    if page.route in MEMBER_PAGES and can(user, Perm.VIEW_MEMBERS, hood):
        allowed |= set(REPORTERS)
    # Reporters see what they reported themselves.
    allowed |= {
        "reporter": {REPORTER, UNMODERATED},
        "open_reporter": {OPEN_REPORTER},
        "sensitive_reporter": {SENSITIVE_REPORTER, SECRET_TITLE, CONFIDENTIAL},
    }.get(persona, set())
    return allowed


def is_team(world: World, persona: str) -> bool:
    user = world.user(persona)
    return user is not None and can(user, Perm.VIEW_CONFIDENTIAL, world.personas.hood)


# --- Every route is filled and answers -------------------------------------------------------


def test_every_route_has_a_filling(world):
    table = world.table
    unfilled = []
    for route in routes():
        try:
            urls_of(route, table, world.personas.hood.slug)
        except UnfilledRoute as error:
            unfilled.append(str(error))
    assert not unfilled, "Routes the walker cannot fill: " + "; ".join(unfilled)
    names = {route.name for route in routes()}
    assert not set(table) - names, f"fillings for routes that are gone: {set(table) - names}"
    assert not (POST_ONLY | PDF_ROUTES | NOBODY) - names


def test_a_route_the_walker_cannot_fill_is_an_error(world):
    from tests.problems.privacy_walker import Route

    with pytest.raises(UnfilledRoute, match="scherm"):
        urls_of(Route("scherm/<str:key>/", "projector"), {}, "x")
    with pytest.raises(UnfilledRoute, match="needs"):
        urls_of(Route("scherm/<str:key>/", "projector"), {"projector": [{"pk": 1}]}, "x")


@pytest.mark.parametrize("persona", WALKERS)
def test_markers_appear_only_where_allowed(world, walks, persona):
    leaks, errors = [], []
    seen: dict[str, set[str]] = {}
    for page in walk(world, walks, persona):
        if page.status >= 500 or page.status == 429:  # a 429 would hide the page: not read
            errors.append(f"{page.status} on {page.url}")
        found = {marker for marker in MARKERS if marker in (page.text or "")}
        leaked = found - allowed_markers(world, persona, page)
        if leaked:
            leaks.append(f"{sorted(leaked)} on {page.url} ({page.status}, {page.content_type})")
        for marker in found:
            seen.setdefault(marker, set()).add(page.url)
    assert not errors, errors
    assert not leaks, f"{persona} sees:\n" + "\n".join(leaks)
    if is_team(world, persona):
        # The team does see them: proof that the test would notice a leak.
        assert set(seen) == set(MARKERS), (persona, seen)


def test_every_route_answers_200_to_someone(world, walks):
    by_route: dict[str, list[tuple[str, Fetched]]] = {}
    for persona in IN_THE_HOOD:
        for page in walk(world, walks, persona):
            by_route.setdefault(page.route, []).append((persona, page))
    assert set(by_route) == {route.label for route in routes()}
    login = reverse("account_login")
    wrong = []
    for route, answers in by_route.items():
        statuses = {page.status for _persona, page in answers}
        if route in POST_ONLY:
            # Logged in: 405. Anonymous: the login redirect comes first.
            fine = all(
                page.status == 405
                or (
                    persona == "anonymous"
                    and page.status == 302
                    and page.location.startswith(login)
                )
                for persona, page in answers
            )
            if not fine:
                wrong.append(f"{route} is listed as POST-only but answers {statuses}")
        elif route in NOT_200:
            if statuses != {NOT_200[route]}:
                wrong.append(f"{route} should answer {NOT_200[route]}, answers {statuses}")
        elif 200 not in statuses:
            wrong.append(f"{route} answers 200 to nobody: {sorted(statuses)}")
    assert not wrong, "\n".join(wrong)


def test_planted_objects_are_not_found_under_another_neighbourhood(world, walks):
    """The chair of Poelenburg asks for the planted meetings, problems, rounds and actions at
    /buurt/poelenburg/...: none of them is there."""
    by_label = {route.label: route for route in routes()}
    found = [
        f"{page.url} answers {page.status}"
        for page in walk(world, walks, ELSEWHERE)
        if {"slug"} < set(by_label[page.route].params) and page.status not in (403, 404, 405)
    ]
    assert not found, "\n".join(found)


def test_pdfs_are_read(world, walks):
    """Every PDF of the app was fetched by someone and its text read (so the marker check
    above covered it): the minutes, the draft, the pack, the poster, the paper ballot and the
    sheet of invite codes."""
    texts: dict[str, str] = {}
    for persona in IN_THE_HOOD:
        for page in walk(world, walks, persona):
            if page.status == 200 and page.content_type.startswith("application/pdf"):
                texts[page.route] = page.text or ""
    assert set(texts) == PDF_ROUTES
    for route, text in texts.items():
        assert "Kanaleneiland-Noord" in text, route
    # What they print of the sensitive problem is its public summary: the real title would
    # have been found where it is printed.
    public = world.sensitive.public_title
    assert SECRET_TITLE not in public
    for route in ("minutes_pdf", "minutes_draft_pdf", "meeting_pack", "round_ballot_pdf"):
        assert public in texts[route], route
    assert world.glass.title in texts["poster"]


# --- The reporter rule, both ways ------------------------------------------------------------


def _page(world: World, walks: Walks, persona: str, url: str) -> Fetched:
    return next(page for page in walk(world, walks, persona) if page.url == url)


def test_the_reporters_name_follows_the_rule(world, walks):
    hood = world.personas.hood
    cases = [
        # (problem, its reporter's persona, marker, may logged-in members see it?)
        (world.glass, "open_reporter", OPEN_REPORTER, True),  # agreed, ordinary
        (world.sensitive, "sensitive_reporter", SENSITIVE_REPORTER, False),  # agreed, sensitive
        (world.ordinary, "reporter", REPORTER, False),  # did not agree
    ]
    wrong = []
    for problem, reporter, marker, members_may in cases:
        url = reverse("problem", kwargs={"slug": hood.slug, "pk": problem.pk})
        for persona in IN_THE_HOOD:
            user = world.user(persona)
            member = user is not None and bool(roles_in(user, hood))
            expected = is_team(world, persona) or persona == reporter or (members_may and member)
            page = _page(world, walks, persona, url)
            assert page.status == 200, (persona, url)
            if (marker in (page.text or "")) != expected:
                wrong.append(f"{persona} {'does not see' if expected else 'sees'} {marker}")
    assert not wrong, "\n".join(wrong)
    # Those who must not see the agreed name of an ordinary problem: not logged in, pending,
    # or of another neighbourhood.
    strangers = [p for p in IN_THE_HOOD if not (u := world.user(p)) or not roles_in(u, hood)]
    assert set(strangers) == {"anonymous", "pending_resident", "outsider", "outsider_chair"}


# --- Mail --------------------------------------------------------------------------------------


def _mail_leaks(messages: list[Any]) -> list[str]:
    """Markers in any part of any mail: none may go out, not even to the team or the reporter
    (a mail is forwarded, printed and read on shared screens)."""
    leaks = []
    for message in messages:
        for part, text in mail_texts(message):
            found = [marker for marker in MARKERS if marker in text]
            if found:
                leaks.append(f"{found} in {part} of {message.subject!r} to {message.to}")
    return leaks


def test_the_mail_of_the_planted_weeks_carries_no_markers(world):
    """Every mail sent while planting: status changes, the agenda (with its .ics and ballot
    links), the minutes (one with the PDF attached), the digest, the reminders and the survey;
    subject, headers, text, HTML and every attachment."""
    kinds = set(Mailing.objects.values_list("kind", flat=True))
    assert kinds >= {
        ProblemMail.PROBLEM_STATUS,
        MeetingMail.AGENDA,
        MeetingMail.MINUTES,
        MeetingMail.DIGEST,
        MeetingMail.MEETING_REMINDER,
        ProblemMail.ACTION_REMINDER,
        ProblemMail.PROBLEM_SURVEY,
    }, kinds
    sent = Delivery.objects.filter(status=Delivery.Status.SENT).count()
    assert len(world.mails) == sent  # every mail that went out is read
    attachments = [part for message in world.mails for part, _text in mail_texts(message)]
    assert any(part.endswith(".ics") for part in attachments), attachments
    assert any(part.endswith(".pdf") for part in attachments), attachments
    assert not _mail_leaks(world.mails)


def test_status_mails_carry_no_markers(world, django_capture_on_commit_callbacks):
    personas = world.personas
    for problem in (world.sensitive, world.ordinary, world.on_behalf):
        problem_support(problem=problem, user=personas.second_resident)
    mail.outbox.clear()
    chair = {"actor": personas.chair, "actors": {"chair"}}
    with django_capture_on_commit_callbacks(execute=True):
        problem_transition(
            problem=world.ordinary,
            move=Move.PARK,
            public_note="Wacht op de gemeente",
            confidential_note=f"Intern {NOTE}",
            **chair,
        )
        problem_transition(problem=world.sensitive, move=Move.NOT_CHOSEN, **chair)
        problem_transition(problem=world.on_behalf, move=Move.NOT_CHOSEN, **chair)
    assert len(mail.outbox) >= 3
    for message in mail.outbox:
        assert isinstance(message, EmailMultiAlternatives)
    assert not _mail_leaks(mail.outbox)
