"""Status changes through the HTTP view, merging, and residents' requests to reopen."""

from __future__ import annotations

import pytest
from django.contrib.messages import get_messages
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse

from problems.access import access_in
from problems.models import Follow, Problem, ReopenRequest, Support, TimelineEntry
from problems.services import problem_follow, problem_support
from problems.team.selectors import team_panel_context
from problems.workflow import TRANSITIONS, Move, Status
from residents.models import Role
from tests.conftest import PERSONA_NAMES, assert_status

TEAM = {"chair", "wijkagent", "housing_contact", "office", "coordinator"}
# Who may see a new report besides the team: its reporter (make_problem: the resident).
SEES_NEW = TEAM | {"resident"}
RESIDENTS = {"resident", "second_resident", "minute_taker"}


def transition_url(problem: Problem) -> str:
    return reverse("team:problem_transition", args=[problem.neighbourhood.slug, problem.pk])


def snapshot(problem: Problem) -> tuple:
    fresh = Problem.objects.get(pk=problem.pk)
    return (
        fresh.status,
        fresh.merged_into_id,
        fresh.support_count,
        TimelineEntry.objects.filter(problem=problem).count(),
    )


def texts(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


# --- Who may open the status page -------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_status_page_of_an_accepted_problem_is_for_the_chair(as_persona, make_problem, persona):
    problem = make_problem(Status.ACCEPTED)
    response = as_persona(persona).get(transition_url(problem))
    # Only the chair may nominate, park or merge an accepted problem; the office may not.
    assert_status(response, persona, {"chair"}, 200)


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_status_page_of_a_new_report(as_persona, make_problem, persona):
    problem = make_problem(Status.NEW)
    response = as_persona(persona).get(transition_url(problem))
    if persona != "anonymous" and persona not in SEES_NEW:
        assert response.status_code == 404  # nobody learns that the report exists
    else:
        assert_status(response, persona, {"chair", "office"}, 200)


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_accept_through_the_view_for_every_persona(as_persona, make_problem, persona):
    problem = make_problem(Status.NEW)
    before = snapshot(problem)
    response = as_persona(persona).post(transition_url(problem), {"move": "accept"})
    if persona != "anonymous" and persona not in SEES_NEW:
        assert response.status_code == 404
    else:
        assert_status(response, persona, {"chair", "office"}, 302)
    if persona in {"chair", "office"}:
        assert Problem.objects.get(pk=problem.pk).status == Status.ACCEPTED
        entry = TimelineEntry.objects.filter(problem=problem).latest("at", "pk")
        assert entry.move == Move.ACCEPT and entry.actor_role == persona
    else:
        assert snapshot(problem) == before


# --- Every move, allowed and refused ------------------------------------------------------

# (move, from status, a persona who may make it, one who may not)
PEOPLE_MOVES = [
    (t.move, source, "office" if "office" in t.actors else "chair", refused)
    for t in TRANSITIONS
    if t.actors & {Role.CHAIR, Role.OFFICE}
    for source in sorted(t.sources)
    for refused in (["wijkagent"] if "office" in t.actors else ["office", "wijkagent"])
]
# Moves only a priority round or a meeting decision make: no person may, not even the chair.
MACHINE_MOVES = [
    (t.move, source)
    for t in TRANSITIONS
    if not t.actors & {Role.CHAIR, Role.OFFICE}
    for source in sorted(t.sources)
]


def _post_move(client, problem: Problem, move: str, target: Problem):
    return client.post(
        transition_url(problem),
        {
            "move": move,
            "public_note": "Doorverwezen naar het meldpunt van de gemeente",
            "confidential_note": "Besproken met de wijkagent",
            "into": target.pk,
        },
    )


@pytest.mark.parametrize(("move", "source", "allowed", "refused"), PEOPLE_MOVES)
def test_every_move_through_the_view(as_persona, make_problem, move, source, allowed, refused):
    problem = make_problem(source)
    target = make_problem(Status.ACCEPTED, title="Het probleem dat blijft")
    before = snapshot(problem)

    response = _post_move(as_persona(refused), problem, move, target)
    assert response.status_code == 403
    assert snapshot(problem) == before

    response = _post_move(as_persona(allowed), problem, move, target)
    assert response.status_code == 302
    assert response.url == problem.get_absolute_url()
    problem.refresh_from_db()
    entry = TimelineEntry.objects.filter(problem=problem).latest("at", "pk")
    assert entry.move == move and entry.from_status == source
    assert problem.status == entry.to_status
    assert entry.confidential_note == "Besproken met de wijkagent"
    assert entry.actor_role == allowed


@pytest.mark.parametrize(("move", "source"), MACHINE_MOVES)
def test_round_and_meeting_moves_are_refused_to_the_chair(as_persona, make_problem, move, source):
    problem = make_problem(source)
    before = snapshot(problem)
    response = _post_move(as_persona("chair"), problem, move, make_problem(Status.ACCEPTED))
    assert response.status_code == 403
    assert snapshot(problem) == before


def test_an_unknown_move_is_refused(as_persona, make_problem):
    problem = make_problem(Status.NEW)
    before = snapshot(problem)
    assert as_persona("chair").post(transition_url(problem), {"move": "x"}).status_code == 403
    assert snapshot(problem) == before


# --- Decline needs a public reason --------------------------------------------------------


def test_decline_without_a_reason_shows_an_error_and_changes_nothing(as_persona, make_problem):
    problem = make_problem(Status.NEW)
    before = snapshot(problem)
    response = as_persona("office").post(
        transition_url(problem), {"move": "decline", "public_note": "   "}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "Give a reason; everyone will see it." in html
    assert 'class="error-summary"' in html
    assert snapshot(problem) == before


def test_decline_with_a_reason_puts_it_on_the_timeline(as_persona, make_problem):
    problem = make_problem(Status.NEW)
    response = as_persona("office").post(
        transition_url(problem),
        {"move": "decline", "public_note": "Eenmalig defect: meld het bij de gemeente"},
    )
    assert response.status_code == 302
    problem.refresh_from_db()
    assert problem.status == Status.DECLINED
    entry = TimelineEntry.objects.filter(problem=problem).latest("at", "pk")
    assert entry.public_note == "Eenmalig defect: meld het bij de gemeente"


def test_status_page_offers_one_move_or_all(as_persona, make_problem):
    problem = make_problem(Status.NEW)
    client = as_persona("office")
    one = client.get(transition_url(problem) + "?move=decline").content.decode()
    assert "Public reason" in one and 'value="accept"' not in one
    every = client.get(transition_url(problem)).content.decode()
    assert 'value="accept"' in every and 'value="decline"' in every
    gone = client.get(transition_url(problem) + "?move=park").content.decode()
    assert "no longer possible" in gone


# --- Merging ------------------------------------------------------------------------------


def test_merge_moves_supports_and_followers_without_counting_anyone_twice(
    as_persona, personas, make_problem
):
    old = make_problem(Status.ACCEPTED, title="Dubbele melding", reporter=personas.resident)
    stays = make_problem(Status.ACCEPTED, title="Blijft", reporter=personas.chair)
    problem_support(problem=old, user=personas.second_resident)
    problem_support(problem=old, user=personas.minute_taker)
    problem_support(problem=stays, user=personas.second_resident)  # supports both
    problem_follow(problem=old, user=personas.wijkagent)

    response = as_persona("chair").post(
        transition_url(old), {"move": "merge", "into": stays.pk, "public_note": ""}
    )

    assert response.status_code == 302
    old.refresh_from_db()
    stays.refresh_from_db()
    assert old.status == Status.MERGED and old.merged_into == stays
    assert stays.support_count == 2
    assert sorted(Support.objects.filter(problem=stays).values_list("user_id", flat=True)) == (
        sorted([personas.second_resident.pk, personas.minute_taker.pk])
    )
    followers = list(Follow.objects.filter(problem=stays).values_list("user_id", flat=True))
    assert sorted(followers) == sorted(
        {
            personas.chair.pk,
            personas.resident.pk,
            personas.second_resident.pk,
            personas.minute_taker.pk,
            personas.wijkagent.pk,
        }
    )
    assert not Support.objects.filter(problem=old).exists()
    assert not Follow.objects.filter(problem=old).exists()
    assert TimelineEntry.objects.filter(problem=stays, move=Move.MERGED_IN, other=old).exists()
    # The old page points on to the problem that stays.
    page = as_persona("second_resident").get(old.get_absolute_url())
    assert page.status_code == 200
    assert stays.get_absolute_url() in page.content.decode()


@pytest.mark.parametrize(
    ("into", "error"),
    [
        ("", "Fill in the number of the problem to merge this one into."),
        ("self", "A problem cannot be merged into itself."),
        ("999999", "There is no problem with number 999999 in this neighbourhood."),
        ("other_hood", "There is no problem with number"),
        ("declined", "Merge into an accepted problem that is still open."),
        ("abc", "Enter a whole number."),
    ],
)
def test_a_bad_merge_target_shows_an_error_and_changes_nothing(
    as_persona, personas, make_problem, into, error
):
    problem = make_problem(Status.ACCEPTED)
    targets = {
        "self": problem.pk,
        "other_hood": lambda: (
            make_problem(
                Status.ACCEPTED, neighbourhood=personas.other_hood, reporter=personas.outsider
            ).pk
        ),
        "declined": lambda: make_problem(Status.DECLINED).pk,
    }
    value = targets.get(into, into)
    value = value() if callable(value) else value
    before = snapshot(problem)
    response = as_persona("chair").post(transition_url(problem), {"move": "merge", "into": value})
    assert response.status_code == 200
    assert error in response.content.decode()
    assert snapshot(problem) == before


# --- The panel on the problem page --------------------------------------------------------


def _panel(personas, problem: Problem, user, *, with_moves: bool = True) -> str:
    request = RequestFactory().get(problem.get_absolute_url())
    request.user = user
    access = access_in(user, problem.neighbourhood)
    context = {"problem": problem, "access": access, "request": request}
    if with_moves:
        context |= team_panel_context(problem, access)  # as the problem page passes `moves`
    return render_to_string("problems/_team_panel.html", context, request=request)


def test_panel_has_a_form_per_move_posting_to_the_status_view(personas, make_problem):
    problem = make_problem(Status.NEW)
    html = _panel(personas, problem, personas.chair)
    assert html.count(f'action="{transition_url(problem)}"') == 3  # accept, decline, merge
    assert 'name="into"' in html and 'name="confidential_note"' in html
    assert reverse("team:problem_edit", args=[personas.hood.slug, problem.pk]) in html
    assert reverse("team:problem_chronic", args=[personas.hood.slug, problem.pk]) not in html


def test_panel_links_chronic_for_the_chair_only(personas, make_problem):
    problem = make_problem(Status.ACCEPTED)
    chronic = reverse("team:problem_chronic", args=[personas.hood.slug, problem.pk])
    assert chronic in _panel(personas, problem, personas.chair)
    office = _panel(personas, problem, personas.office)
    assert chronic not in office
    assert transition_url(problem) not in office  # the office has no moves here
    wijkagent = _panel(personas, problem, personas.wijkagent)
    assert "problem_edit" not in wijkagent and transition_url(problem) not in wijkagent


def test_panel_without_the_moves_in_context_links_to_the_status_page(personas, make_problem):
    problem = make_problem(Status.NEW)
    html = _panel(personas, problem, personas.office, with_moves=False)
    assert f'href="{transition_url(problem)}"' in html


# --- Residents ask to reopen --------------------------------------------------------------


def reopen_url(problem: Problem) -> str:
    return reverse("team:problem_reopen_request", args=[problem.neighbourhood.slug, problem.pk])


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_reopen_request_permissions(as_persona, personas, make_problem, persona):
    problem = make_problem(Status.RESOLVED)
    response = as_persona(persona).post(reopen_url(problem), {"note": "Het is weer erg"})
    assert_status(response, persona, RESIDENTS, 302)
    asked = ReopenRequest.objects.filter(problem=problem).exists()
    assert asked == (persona in RESIDENTS)
    if asked:
        assert response.url == problem.get_absolute_url()
        entry = TimelineEntry.objects.filter(problem=problem).latest("at", "pk")
        assert entry.move == Move.REOPEN_REQUEST and entry.actor_role == "resident"


def test_reopen_request_needs_a_note(as_persona, make_problem):
    problem = make_problem(Status.PARKED)
    response = as_persona("second_resident").post(reopen_url(problem), {"note": " "})
    assert response.status_code == 302
    assert "Write why the problem should be reopened." in texts(response)
    assert not ReopenRequest.objects.exists()


def test_reopen_request_note_has_a_maximum(as_persona, make_problem):
    problem = make_problem(Status.PARKED)
    response = as_persona("second_resident").post(reopen_url(problem), {"note": "x" * 2001})
    assert any("2000" in text for text in texts(response))
    assert not ReopenRequest.objects.exists()


def test_reopen_request_twice_or_for_an_open_problem_is_explained(as_persona, make_problem):
    parked = make_problem(Status.PARKED)
    client = as_persona("second_resident")
    client.post(reopen_url(parked), {"note": "Het is terug"})
    response = client.post(reopen_url(parked), {"note": "Nog steeds"})
    assert "You have already asked; the chair will look at it." in texts(response)
    assert ReopenRequest.objects.filter(problem=parked).count() == 1

    accepted = make_problem(Status.ACCEPTED)
    response = client.post(reopen_url(accepted), {"note": "Graag"})
    assert "Only resolved, parked or declined problems can be reopened." in texts(response)
    assert not ReopenRequest.objects.filter(problem=accepted).exists()


def test_the_chair_reopens_and_the_request_is_handled(as_persona, make_problem, personas):
    problem = make_problem(Status.RESOLVED)
    as_persona("second_resident").post(reopen_url(problem), {"note": "Het is terug"})
    response = as_persona("chair").post(transition_url(problem), {"move": "reopen"})
    assert response.status_code == 302
    problem.refresh_from_db()
    assert problem.status == Status.ACCEPTED and problem.reopened_count == 1
    assert ReopenRequest.objects.get(problem=problem).handled_at is not None


def test_the_problem_page_shows_the_panel_to_the_team_only(as_persona, make_problem):
    problem = make_problem(Status.ACCEPTED)
    chair = as_persona("chair").get(problem.get_absolute_url()).content.decode()
    assert f'action="{transition_url(problem)}"' in chair
    assert 'value="nominate"' in chair and 'value="merge"' in chair
    resident = as_persona("second_resident").get(problem.get_absolute_url()).content.decode()
    assert transition_url(problem) not in resident


@pytest.mark.parametrize("target", ["https://example.com/", "//example.com/", "problem", "x y"])
def test_after_a_change_only_a_path_on_this_site_is_followed(as_persona, make_problem, target):
    problem = make_problem(Status.NEW)
    response = as_persona("office").post(
        transition_url(problem), {"move": "accept", "next": target}
    )
    assert response.status_code == 302
    assert response.url == problem.get_absolute_url()
