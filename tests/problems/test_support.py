"""'Ik heb hier ook last van', withdrawing it, following and unfollowing: who may, what changes,
htmx answers in place and plain forms redirect back."""

from __future__ import annotations

import pytest
from django.urls import reverse

from problems.models import Follow, Problem, Support
from problems.services import problem_follow, problem_support
from problems.workflow import Status
from tests.conftest import PERSONA_NAMES, assert_status
from tests.support import view_name

SUPPORTERS = {"resident", "second_resident", "chair", "minute_taker"}
LOGGED_IN = set(PERSONA_NAMES) - {"anonymous"}
HTMX = {"HX-Request": "true"}


def url(name: str, problem: Problem) -> str:
    return reverse(view_name(name), args=[problem.neighbourhood.slug, problem.pk])


@pytest.fixture
def problem(personas, make_problem) -> Problem:
    """Accepted, reported by the office (so none of the personas below follows it yet)."""
    return make_problem(title="Kapotte bank", reporter=personas.office)


# --- Who may ----------------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_support_permissions(as_persona, personas, problem, persona):
    response = as_persona(persona).post(url("problem_support", problem))
    assert_status(response, persona, SUPPORTERS, 302)
    user = personas.by_name(persona)
    supported = user is not None and Support.objects.filter(problem=problem, user=user).exists()
    assert supported == (persona in SUPPORTERS)
    problem.refresh_from_db()
    assert problem.support_count == (1 if persona in SUPPORTERS else 0)


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_withdraw_permissions(as_persona, personas, problem, persona):
    user = personas.by_name(persona)
    if persona in SUPPORTERS:
        problem_support(problem=problem, user=user)
    response = as_persona(persona).post(url("problem_support_withdraw", problem))
    assert_status(response, persona, LOGGED_IN, 302)
    assert not Support.objects.filter(problem=problem).exists()
    problem.refresh_from_db()
    assert problem.support_count == 0


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_follow_permissions(as_persona, personas, problem, persona):
    response = as_persona(persona).post(url("problem_follow", problem))
    assert_status(response, persona, LOGGED_IN, 302)
    user = personas.by_name(persona)
    assert Follow.objects.filter(problem=problem, user=user).exists() == (user is not None)


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_unfollow_permissions(as_persona, personas, problem, persona):
    for name in LOGGED_IN:
        problem_follow(problem=problem, user=personas.by_name(name))
    response = as_persona(persona).post(url("problem_unfollow", problem))
    assert_status(response, persona, LOGGED_IN, 302)
    followers = set(Follow.objects.filter(problem=problem).values_list("user_id", flat=True))
    user = personas.by_name(persona)
    assert (user is None or user.pk not in followers) and len(followers) == (
        len(LOGGED_IN) - (0 if user is None else 1)
    )


@pytest.mark.parametrize("persona", PERSONA_NAMES)
@pytest.mark.parametrize(
    "name", ["problem_support", "problem_support_withdraw", "problem_follow", "problem_unfollow"]
)
def test_a_new_report_of_someone_else_is_404(as_persona, personas, make_problem, persona, name):
    new = make_problem(Status.NEW, reporter=personas.second_resident)
    response = as_persona(persona).post(url(name, new))
    if persona == "anonymous":
        assert response.status_code == 302
    elif persona in {"chair", "wijkagent", "housing_contact", "office", "coordinator"}:
        # The team sees new reports, but nobody supports one before it is accepted.
        assert response.status_code == (403 if name == "problem_support" else 302)
    elif persona == "second_resident":  # the reporter
        assert response.status_code == (403 if name == "problem_support" else 302)
    else:
        assert response.status_code == 404, persona
    assert not Support.objects.filter(problem=new).exists()


@pytest.mark.parametrize("status", [Status.RESOLVED, Status.PARKED, Status.DECLINED])
def test_closed_problems_cannot_be_supported(login, personas, make_problem, status):
    closed = make_problem(status)
    response = login(personas.second_resident).post(url("problem_support", closed))
    # A report declined straight away was never public: 404 as for anything one cannot see.
    assert response.status_code == (404 if status == Status.DECLINED else 403)
    assert not Support.objects.filter(problem=closed).exists()


@pytest.mark.parametrize(
    "name", ["problem_support", "problem_support_withdraw", "problem_follow", "problem_unfollow"]
)
def test_only_post(login, personas, problem, name):
    assert login(personas.second_resident).get(url(name, problem)).status_code == 405


# --- What happens -----------------------------------------------------------------------------


def test_support_counts_once_and_follows(login, personas, problem):
    client = login(personas.second_resident)
    client.post(url("problem_support", problem))
    client.post(url("problem_support", problem))  # a double tap
    problem.refresh_from_db()
    assert problem.support_count == 1
    assert Support.objects.filter(problem=problem).count() == 1
    assert Follow.objects.filter(problem=problem, user=personas.second_resident).exists()
    client.post(url("problem_support_withdraw", problem))
    client.post(url("problem_support_withdraw", problem))
    problem.refresh_from_db()
    assert problem.support_count == 0


def test_without_javascript_we_go_back_with_a_message(login, personas, problem, english_pages):
    client = login(personas.second_resident)
    response = client.post(url("problem_support", problem), follow=True)
    assert response.redirect_chain == [(problem.get_absolute_url(), 302)]
    body = response.content.decode()
    assert "Your support is counted" in body
    assert "1 resident has this problem too" in body
    again = client.post(url("problem_support", problem), follow=True).content.decode()
    assert "You had already said that you have this problem too." in again


@pytest.mark.parametrize(
    ("given", "safe"),
    [
        ("/buurt/kanaleneiland-noord/problemen/?sort=newest", True),
        ("/mijn-meldingen/", True),
        ("https://evil.example/", False),
        ("//evil.example/", False),
        ("/\\evil.example/", False),
        ("javascript:alert(1)", False),
        ("", False),
    ],
)
def test_next_only_when_it_is_a_local_address(login, personas, problem, given, safe):
    response = login(personas.second_resident).post(url("problem_follow", problem), {"next": given})
    assert response.status_code == 302
    assert response.url == (given if safe else problem.get_absolute_url())


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("problem_support", "2 residents have this problem too"),
        ("problem_support_withdraw", "1 resident has this problem too"),
        ("problem_follow", "Stop following"),
        ("problem_unfollow", "Follow: e-mail me about changes"),
    ],
)
def test_htmx_gets_the_block_in_place(login, personas, problem, english_pages, name, expected):
    problem_support(problem=problem, user=personas.resident)
    client = login(personas.second_resident)
    if name in {"problem_support_withdraw", "problem_unfollow"}:
        problem_support(problem=problem, user=personas.second_resident)  # and follows
    response = client.post(url(name, problem), headers=HTMX)
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith('<section id="problem-actions"')
    assert "<html" not in body
    assert expected in body
    assert 'role="status"' in body


def test_htmx_buttons_also_work_as_plain_forms(login, personas, problem):
    body = login(personas.second_resident).get(problem.get_absolute_url()).content.decode()
    support = url("problem_support", problem)
    assert f'action="{support}"' in body
    assert f'hx-post="{support}"' in body
