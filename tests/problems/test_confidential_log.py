"""Who looked at confidential details, and when: for the chair and the coordinator only."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from problems.models import ConfidentialView, Problem
from problems.services import confidential_view_log
from problems.workflow import Status
from tests.conftest import PERSONA_NAMES, assert_status

VIEW_LOG = {"chair", "coordinator"}


def log_url(personas) -> str:
    return reverse("problem_confidential_log", args=[personas.hood.slug])


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_log_permissions(as_persona, personas, make_problem, persona):
    problem = make_problem(Status.ACCEPTED, title="Overlast bij de flat")
    confidential_view_log(problem=problem, user=personas.wijkagent)
    response = as_persona(persona).get(log_url(personas))
    assert_status(response, persona, VIEW_LOG, 200)
    assert ("Kees de Vries" in response.content.decode()) == (persona in VIEW_LOG)


def test_the_log_of_another_neighbourhood_is_refused(as_persona, personas):
    url = reverse("problem_confidential_log", args=[personas.other_hood.slug])
    assert as_persona("chair").get(url).status_code == 403
    assert as_persona("outsider_chair").get(url).status_code == 200


def test_views_from_the_team_problem_page_are_listed(as_persona, personas, make_problem):
    problem = make_problem(
        Status.NEW,
        category="drugsoverlast",
        title="Handel bij Talmalaan 12",
        street="Talmalaan",
        confidential_details="Bewoner van nummer 12",
    )
    assert as_persona("wijkagent").get(problem.get_absolute_url()).status_code == 200
    assert as_persona("office").get(problem.get_absolute_url()).status_code == 200
    # A resident's look at the public page is no view of confidential details.
    as_persona("second_resident").get(problem.get_absolute_url())
    assert set(ConfidentialView.objects.values_list("user_id", flat=True)) == {
        personas.wijkagent.pk,
        personas.office.pk,
    }

    html = as_persona("chair").get(log_url(personas)).content.decode()
    assert "Kees de Vries" in html and "Ans Bakker" in html
    assert "Annie de Groot" not in html
    assert reverse("problem", args=[personas.hood.slug, problem.pk]) in html
    assert "Bewoner van nummer 12" not in html  # the log names the problem, not its details
    assert "Handel bij Talmalaan 12" not in html  # the public summary, not the real title


def test_log_lists_newest_first_and_only_this_neighbourhood(as_persona, personas, make_problem):
    here = make_problem(Status.ACCEPTED)
    there = make_problem(
        Status.ACCEPTED, neighbourhood=personas.other_hood, reporter=personas.outsider
    )
    confidential_view_log(problem=here, user=personas.office)
    confidential_view_log(problem=here, user=personas.wijkagent)
    ConfidentialView.objects.filter(user=personas.office).update(
        at=timezone.now() - timedelta(days=2)
    )
    confidential_view_log(problem=there, user=personas.outsider_chair)
    html = as_persona("coordinator").get(log_url(personas)).content.decode()
    assert html.index("Kees de Vries") < html.index("Ans Bakker")
    assert "Joost Peters" not in html


def _fill(personas, problems: int, views: int) -> None:
    from problems.models import Category

    category = Category.objects.get(slug="drugsoverlast")
    rows = Problem.objects.bulk_create(
        Problem(
            neighbourhood=personas.hood,
            category=category,
            sensitive=True,
            title=f"Probleem {i}",
            description="Omschrijving",
            street="Talmalaan",
            status=Status.ACCEPTED,
        )
        for i in range(problems)
    )
    users = [personas.chair, personas.office, personas.wijkagent, personas.housing_contact]
    ConfidentialView.objects.bulk_create(
        ConfidentialView(problem=rows[i % len(rows)], user=users[i % len(users)])
        for i in range(views)
    )


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_log_query_count_does_not_grow(as_persona, personas):
    client = as_persona("chair")
    url = log_url(personas)
    _fill(personas, 10, 10)
    client.get(url)  # the session's second-factor check runs on the first request only
    small = _queries(client, url)
    _fill(personas, 990, 2000)
    large = _queries(client, url)
    assert small == large
    assert _queries(client, url + "?page=3") == small


def test_the_queue_logs_the_sensitive_problems_it_shows(as_persona, personas, make_problem):
    sensitive = make_problem(Status.NEW, category="drugsoverlast", title="Dealen op nr. 8")
    make_problem(Status.NEW, title="Afval")
    response = as_persona("wijkagent").get(reverse("problem_queue", args=[personas.hood.slug]))
    assert "Dealen op nr. 8" in response.content.decode()
    views = ConfidentialView.objects.filter(user=personas.wijkagent)
    assert list(views.values_list("problem", flat=True)) == [sensitive.pk]
