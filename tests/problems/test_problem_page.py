"""A problem's page: who may open it, what each persona sees of the reporter, the confidential
details (logged) and the timeline, photos, merged problems, and its query count."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import NoReverseMatch, reverse
from PIL import Image

from problems.models import Category, ConfidentialView, Problem, Support
from problems.services import CleanPhoto, problem_edit, problem_report, problem_transition
from problems.workflow import Move, Status
from residents.models import User
from tests.conftest import PERSONA_NAMES

TEAM = {"chair", "wijkagent", "housing_contact", "office", "coordinator"}
REPORTER_MARKER = "REPORTERMARKER7731"
CONFIDENTIAL_MARKER = "CONFIDENTIALMARKER4410"
NOTE_MARKER = "NOTEMARKER9902"
TITLE_MARKER = "SENSITIVETITLEMARKER5521"


def page_url(problem: Problem, slug: str | None = None) -> str:
    return reverse("problem", args=[slug or problem.neighbourhood.slug, problem.pk])


def png() -> CleanPhoto:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 3), "red").save(buffer, "PNG")
    return CleanPhoto(content=buffer.getvalue(), extension="png", width=4, height=3)


@pytest.fixture
def marked(personas, make_problem) -> Problem:
    """A sensitive, accepted problem with markers where only the team may look."""
    personas.resident.display_name = f"Mohamed {REPORTER_MARKER}"
    personas.resident.save(update_fields=["display_name"])
    problem = make_problem(
        category="drugsoverlast",
        title=f"Dealen {TITLE_MARKER}",
        description="Elke avond bij de portiek",
        street="Talmalaan",
        location_detail="portiek 12",
        confidential_details=f"Buurman {CONFIDENTIAL_MARKER}",
    )
    problem_transition(
        problem=problem,
        move=Move.PARK,
        actor=personas.chair,
        actors={"chair"},
        public_note="Eerst de politie",
        confidential_note=f"Informant {NOTE_MARKER}",
    )
    problem.refresh_from_db()
    return problem


# --- Who may open it ----------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_a_new_report_is_seen_only_by_its_reporter_and_the_team(
    as_persona, personas, make_problem, persona
):
    problem = make_problem(Status.NEW, title="Nog niet bekeken")
    response = as_persona(persona).get(page_url(problem))
    visible = persona in TEAM | {"resident"}
    assert response.status_code == (200 if visible else 404), persona
    if not visible:
        assert b"Nog niet bekeken" not in response.content


@pytest.mark.parametrize("persona", PERSONA_NAMES)
@pytest.mark.parametrize(
    "status", [s for s in Status if s not in (Status.NEW, Status.MERGED, Status.DECLINED)]
)
def test_an_accepted_problem_is_public(as_persona, personas, make_problem, persona, status):
    problem = make_problem(status, title="Voor iedereen")
    response = as_persona(persona).get(page_url(problem))
    assert response.status_code == 200, persona
    assert b"Voor iedereen" in response.content


@pytest.mark.parametrize("persona", PERSONA_NAMES)
@pytest.mark.parametrize("how", ["declined", "merged"])
def test_a_report_never_accepted_stays_with_its_reporter_and_the_team(
    as_persona, personas, make_problem, persona, how
):
    """Declined, or merged as a duplicate, straight from "new": nobody else sees its text."""
    problem = make_problem(Status.NEW, title="Nooit geaccepteerd")
    keep = make_problem(title="Blijft staan")
    chair = {"actor": personas.chair, "actors": {"chair"}}
    if how == "declined":
        problem_transition(problem=problem, move=Move.DECLINE, public_note="Eenmalig", **chair)
    else:
        problem_transition(problem=problem, move=Move.MERGE, into=keep, **chair)
    response = as_persona(persona).get(page_url(problem))
    visible = persona in TEAM | {"resident"}
    assert response.status_code == (200 if visible else 404), persona
    if how == "merged":  # the problem that stays names it on its timeline for the team only
        kept = as_persona(persona).get(page_url(keep)).content
        assert (b"Nooit geaccepteerd" in kept) == (persona in TEAM), persona


def test_a_problem_of_another_neighbourhood_is_404(client, personas, make_problem):
    problem = make_problem()
    assert client.get(page_url(problem, slug=personas.other_hood.slug)).status_code == 404
    assert client.get(reverse("problem", args=[personas.hood.slug, 99999])).status_code == 404


# --- The reporter's name and the confidential details ---------------------------------------


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_markers_show_only_where_allowed(as_persona, personas, marked, persona):
    before = ConfidentialView.objects.count()
    body = as_persona(persona).get(page_url(marked)).content.decode()
    team = persona in TEAM
    assert (REPORTER_MARKER in body) == (team or persona == "resident")
    for marker in (CONFIDENTIAL_MARKER, NOTE_MARKER, TITLE_MARKER):
        assert (marker in body) == team, (persona, marker)
    # The chair's name is on the timeline for the team only; others see the role.
    assert ("Fatima el Amrani" in body) == team
    assert "the chair" in body
    assert "Elke avond" not in body if not team else "Elke avond" in body
    assert "portiek 12" not in body if not team else "portiek 12" in body
    # Every time the team sees the confidential block, it is logged.
    assert ConfidentialView.objects.count() == before + (1 if team else 0)


def test_every_render_of_the_confidential_block_is_logged(login, personas, marked):
    chair = login(personas.chair)
    for _ in range(3):
        chair.get(page_url(marked))
    views = ConfidentialView.objects.filter(problem=marked)
    assert views.count() == 3
    assert {view.user_id for view in views} == {personas.chair.pk}


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_reporter_name_is_shown_when_they_opted_in(as_persona, personas, make_problem, persona):
    """Consent shows the name to logged-in members of this neighbourhood only, and never for a
    sensitive problem; the team and the reporter always see it."""
    public = make_problem(
        title="Met naam", reporter=personas.second_resident, reporter_name_public=True
    )
    hidden = make_problem(title="Zonder naam", reporter=personas.second_resident)
    sensitive = make_problem(
        title="Gevoelig met naam",
        reporter=personas.second_resident,
        reporter_name_public=True,
        category="drugsoverlast",
    )
    client = as_persona(persona)
    always = persona in TEAM or persona == "second_resident"
    member = persona in ("resident", "minute_taker") or always
    for problem, sees in ((public, member), (hidden, always), (sensitive, always)):
        body = client.get(page_url(problem)).content.decode()
        assert ("Annie de Groot" in body) == sees, (problem.title, persona)
        if not sees and problem is not sensitive:
            assert "a resident" in body


def test_team_sees_who_entered_a_report_for_someone(login, personas, make_problem):
    problem = problem_report(
        neighbourhood=personas.hood,
        reporter=None,
        category=Category.objects.get(slug="zwerfvuil"),
        title="Aan de balie gemeld",
        description="Mevrouw meldt vuil",
        street="Marshallaan",
        entered_by=personas.office,
        entered_by_role="office",
        reported_for="Mevrouw Jansen van nummer 3",
    )
    office = login(personas.office).get(page_url(problem)).content.decode()
    assert "Mevrouw Jansen van nummer 3" in office
    assert "Ans Bakker" in office
    problem_transition(problem=problem, move=Move.ACCEPT, actor=personas.office, actors={"office"})
    resident = login(personas.resident).get(page_url(problem)).content.decode()
    assert "Mevrouw Jansen" not in resident
    assert "Ans Bakker" not in resident


# --- Timeline, merges, photos, buttons -----------------------------------------------------


def test_timeline_shows_public_notes_and_edits_only_to_the_team(
    login, personas, make_problem, english_pages
):
    problem = make_problem(title="Oude titel")
    problem_edit(problem=problem, actor=personas.chair, role="chair", title="Nieuwe titel")
    chair = login(personas.chair).get(page_url(problem)).content.decode()
    assert "Nieuwe titel" in chair
    assert "title was: Oude titel" in chair
    resident = login(personas.second_resident).get(page_url(problem)).content.decode()
    assert "Edited" in resident
    assert "Oude titel" not in resident


def test_a_merged_problem_points_to_the_one_that_stays(client, personas, make_problem):
    stays = make_problem(title="Het blijvende probleem")
    old = make_problem(title="De dubbele melding")
    problem_transition(
        problem=old, move=Move.MERGE, actor=personas.chair, actors={"chair"}, into=stays
    )
    body = client.get(page_url(old)).content.decode()
    assert page_url(stays) in body
    assert "Het blijvende probleem" in body
    # And the one that stays mentions the merged report on its timeline.
    assert page_url(old) in client.get(page_url(stays)).content.decode()


@pytest.mark.parametrize("persona", PERSONA_NAMES)
@pytest.mark.parametrize("category", ["zwerfvuil", "drugsoverlast"])
def test_photos_are_shown_unless_the_problem_is_sensitive(
    as_persona, personas, make_problem, settings, tmp_path, persona, category
):
    settings.MEDIA_ROOT = tmp_path
    problem = make_problem(category=category, photos=[png()])
    response = as_persona(persona).get(page_url(problem))
    shown = category == "zwerfvuil" or persona in TEAM or persona == "resident"
    assert bool(response.context["photos"]) == shown, persona
    photo = problem.photos.get()
    try:
        url = reverse("report:problem_photo", args=[personas.hood.slug, problem.pk, photo.pk])
    except NoReverseMatch:
        pytest.skip("the report helper's problem_photo view is not there yet")
    assert (url in response.content.decode()) == shown


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_buttons_per_persona(as_persona, personas, make_problem, persona):
    problem = make_problem()
    body = as_persona(persona).get(page_url(problem)).content.decode()
    may_support = persona in {"resident", "second_resident", "chair", "minute_taker"}
    assert (reverse("problem_support", args=[personas.hood.slug, problem.pk]) in body) == (
        may_support
    )
    follow = reverse("problem_follow", args=[personas.hood.slug, problem.pk])
    unfollow = reverse("problem_unfollow", args=[personas.hood.slug, problem.pk])
    if persona == "anonymous":
        assert "Log in to say that you have this problem too" in body
        assert follow not in body and unfollow not in body
    elif persona == "resident":  # the reporter follows their own report
        assert unfollow in body and follow not in body
    else:
        assert follow in body and unfollow not in body


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_reopen_request_form_for_residents_of_closed_problems(
    as_persona, personas, make_problem, persona
):
    resolved = make_problem(Status.RESOLVED)
    accepted = make_problem()
    client = as_persona(persona)
    residents = {"resident", "second_resident", "minute_taker"}
    assert (client.get(page_url(resolved)).context["reopen_form"] is not None) == (
        persona in residents
    )
    assert client.get(page_url(accepted)).context["reopen_form"] is None
    reopen = reverse("team:problem_reopen_request", args=[personas.hood.slug, resolved.pk])
    assert (reopen in client.get(page_url(resolved)).content.decode()) == (persona in residents)


def test_likely_chronic_signals_are_for_the_team(login, personas, make_problem, english_pages):
    problem = make_problem()
    Problem.objects.filter(pk=problem.pk).update(reopened_count=1)
    assert "reopened" in login(personas.chair).get(page_url(problem)).content.decode()
    body = login(personas.resident).get(page_url(problem)).content.decode()
    assert "Likely chronic" not in body


@pytest.mark.parametrize("persona", ["chair", "office", "resident", "anonymous"])
def test_team_panel_is_included_for_the_team(
    as_persona, personas, make_problem, settings, tmp_path, persona
):
    (tmp_path / "problems").mkdir()
    (tmp_path / "problems" / "_team_panel.html").write_text(
        "<section>TEAMPANEL {{ problem.pk }} {{ moves|length }}</section>"
    )
    engine = settings.TEMPLATES[0]
    settings.TEMPLATES = [{**engine, "DIRS": [tmp_path, *engine["DIRS"]]}]
    problem = make_problem(Status.NEW)
    body = as_persona(persona).get(page_url(problem)).content.decode()
    if persona in {"chair", "office"}:
        assert f"TEAMPANEL {problem.pk} " in body
    else:
        assert "TEAMPANEL" not in body


# --- Query count ----------------------------------------------------------------------------


def grow(problem: Problem, personas, *, edits: int, supporters: int) -> None:
    for number in range(edits):
        problem_edit(problem=problem, actor=personas.chair, role="chair", title=f"Titel {number}")
    users = User.objects.bulk_create(
        User(email=f"buur{problem.pk}-{n}@example.nl", display_name=f"Buur {n}")
        for n in range(supporters)
    )
    Support.objects.bulk_create(Support(problem=problem, user=user) for user in users)
    Problem.objects.filter(pk=problem.pk).update(support_count=supporters)


@pytest.mark.parametrize("persona", ["chair", "second_resident", "anonymous"])
def test_problem_page_query_count_does_not_grow(
    login, personas, make_problem, settings, tmp_path, django_assert_num_queries, persona
):
    settings.MEDIA_ROOT = tmp_path
    small = make_problem(title="Klein", photos=[png()])
    large = make_problem(title="Groot", photos=[png(), png(), png()])
    grow(small, personas, edits=1, supporters=1)  # 3 timeline entries, 1 support
    grow(large, personas, edits=28, supporters=50)  # 30 timeline entries, 50 supports
    client = login(personas.by_name(persona))
    small_url, large_url = page_url(small), page_url(large)
    client.get(small_url)  # the second-factor check is stored in the session
    with CaptureQueriesContext(connection) as first:
        client.get(small_url)
    with django_assert_num_queries(len(first)):
        response = client.get(large_url)
    assert len(response.context["timeline"]) == 30
    if persona == "second_resident":
        # Session, user, problem, roles (2), timeline, photos, supported, following, the menu,
        # the "Aanpak" section: the analysis and the actions with their latest progress, and
        # the meetings section (meetings.problem_sections): its meetings in one query.
        assert len(first) == 13
