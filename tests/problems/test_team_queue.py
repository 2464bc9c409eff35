"""The team's moderation queue: new reports first, then reopen requests, likely chronic
problems and candidates, each with the moves the current person may make."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from problems.models import Category, Problem, ReopenRequest
from problems.services import problem_reopen_request
from problems.workflow import Status
from tests.conftest import PERSONA_NAMES, assert_status

VIEW_CONFIDENTIAL = {"chair", "wijkagent", "housing_contact", "office", "coordinator"}


def queue_url(personas) -> str:
    return reverse("team:problem_queue", args=[personas.hood.slug])


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_queue_permissions(as_persona, personas, make_problem, persona):
    make_problem(Status.NEW, title="Nieuwe melding over de glasbak")
    response = as_persona(persona).get(queue_url(personas))
    assert_status(response, persona, VIEW_CONFIDENTIAL, 200)
    if response.status_code != 200:
        assert b"Nieuwe melding over de glasbak" not in response.content
        assert b"Mohamed Bouzid" not in response.content


def test_queue_of_another_neighbourhood_is_refused(as_persona, personas):
    url = reverse("team:problem_queue", args=[personas.other_hood.slug])
    assert as_persona("chair").get(url).status_code == 403
    assert as_persona("outsider_chair").get(url).status_code == 200


def test_new_reports_come_first_oldest_first_then_requests_chronic_and_candidates(
    as_persona, personas, make_problem
):
    now = timezone.now()
    later = make_problem(Status.NEW, title="Later gemeld")
    earlier = make_problem(Status.NEW, title="Eerder gemeld")  # made later, reported earlier
    Problem.objects.filter(pk=earlier.pk).update(created_at=now - timedelta(days=5))
    resolved = make_problem(Status.PARKED, title="Geparkeerd probleem")
    problem_reopen_request(problem=resolved, user=personas.second_resident, note="Het is terug")
    chronic = make_problem(Status.ACCEPTED, title="Al jaren last")
    Problem.objects.filter(pk=chronic.pk).update(discussed_count=3)
    candidate = make_problem(Status.CANDIDATE, title="Kandidaat voor de ronde")
    quiet = make_problem(Status.ACCEPTED, title="Rustig probleem")

    html = as_persona("chair").get(queue_url(personas)).content.decode()

    positions = [
        html.index(text)
        for text in (
            earlier.title,
            later.title,
            resolved.title,
            "Het is terug",
            chronic.title,
            candidate.title,
        )
    ]
    assert positions == sorted(positions)
    assert quiet.title not in html
    assert "discussed at 3 or more meetings" in html
    assert "Annie de Groot" in html  # who asked to reopen


def test_each_row_shows_reporter_category_support_and_the_real_title_of_sensitive_ones(
    as_persona, personas, make_problem
):
    make_problem(
        Status.NEW,
        category="drugsoverlast",
        title="Handel bij Talmalaan 12",
        street="Talmalaan",
        reporter=personas.second_resident,
    )
    html = as_persona("wijkagent").get(queue_url(personas)).content.decode()
    assert "Handel bij Talmalaan 12" in html
    assert "Sensitive: the public sees only the summary" in html
    assert "Annie de Groot" in html
    assert "Drug nuisance" in html
    assert "Support" in html


def test_chair_and_office_get_the_moves_they_may_make_professionals_none(
    as_persona, personas, make_problem
):
    new = make_problem(Status.NEW, title="Nieuw")
    candidate = make_problem(Status.CANDIDATE, title="Kandidaat")
    transition_new = reverse("team:problem_transition", args=[personas.hood.slug, new.pk])
    transition_candidate = reverse(
        "team:problem_transition", args=[personas.hood.slug, candidate.pk]
    )

    chair = as_persona("chair").get(queue_url(personas)).content.decode()
    assert f'action="{transition_new}"' in chair  # accept: one tap
    assert f"{transition_new}?move=decline" in chair  # decline needs a public reason
    assert f"{transition_new}?move=merge" in chair
    assert f'action="{transition_candidate}"' in chair  # not chosen
    assert reverse("team:problem_edit", args=[personas.hood.slug, new.pk]) in chair

    office = as_persona("office").get(queue_url(personas)).content.decode()
    assert f'action="{transition_new}"' in office
    assert f"{transition_new}?move=merge" not in office
    assert transition_candidate not in office

    wijkagent = as_persona("wijkagent").get(queue_url(personas)).content.decode()
    assert transition_new not in wijkagent
    assert reverse("team:problem_edit", args=[personas.hood.slug, new.pk]) not in wijkagent


def test_accepting_from_the_queue_returns_to_the_queue(as_persona, personas, make_problem):
    new = make_problem(Status.NEW)
    response = as_persona("office").post(
        reverse("team:problem_transition", args=[personas.hood.slug, new.pk]),
        {"move": "accept", "next": queue_url(personas)},
    )
    assert response.status_code == 302 and response.url == queue_url(personas)
    new.refresh_from_db()
    assert new.status == Status.ACCEPTED


def test_queue_confirmed_chronic_problems_leave_the_likely_chronic_list(
    as_persona, personas, make_problem
):
    problem = make_problem(Status.ACCEPTED, title="Al bevestigd chronisch")
    Problem.objects.filter(pk=problem.pk).update(
        reopened_count=1, chronic_confirmed_at=timezone.now()
    )
    assert problem.title not in as_persona("chair").get(queue_url(personas)).content.decode()


def test_a_problem_open_longer_than_the_threshold_is_likely_chronic(
    as_persona, personas, make_problem
):
    problem = make_problem(Status.ACCEPTED, title="Lang open")
    Problem.objects.filter(pk=problem.pk).update(
        accepted_at=timezone.now() - timedelta(days=personas.hood.chronic_after_days + 1)
    )
    html = as_persona("chair").get(queue_url(personas)).content.decode()
    assert "Lang open" in html
    assert reverse("team:problem_chronic", args=[personas.hood.slug, problem.pk]) in html


def _fill(personas, count: int) -> None:
    """`count` problems across the queue's sections, written in bulk."""
    category = Category.objects.get(slug="zwerfvuil")
    sensitive = Category.objects.get(slug="drugsoverlast")
    now = timezone.now()
    statuses = [Status.NEW, Status.ACCEPTED, Status.CANDIDATE, Status.PARKED]
    rows = Problem.objects.bulk_create(
        Problem(
            neighbourhood=personas.hood,
            category=sensitive if i % 7 == 0 else category,
            sensitive=i % 7 == 0,
            title=f"Probleem {i}",
            description="Omschrijving",
            street="Marshallaan",
            status=statuses[i % 4],
            reporter=personas.resident if i % 2 else personas.second_resident,
            reported_for="" if i % 3 else "Meneer Jansen",
            support_count=i % 9,
            created_at=now - timedelta(days=i),
            accepted_at=None if i % 4 == 0 else now - timedelta(days=i),
        )
        for i in range(count)
    )
    ReopenRequest.objects.bulk_create(
        ReopenRequest(problem=p, user=personas.second_resident, note="Terug")
        for p in rows
        if p.status == Status.PARKED
    )


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_queue_query_count_does_not_grow_with_the_register(as_persona, personas):
    client = as_persona("chair")
    url = queue_url(personas)
    _fill(personas, 10)
    client.get(url)  # the session's second-factor check runs on the first request only
    small = _queries(client, url)
    _fill(personas, 990)
    assert Problem.objects.count() == 1000
    large = _queries(client, url)
    assert small == large
    assert small <= 12
