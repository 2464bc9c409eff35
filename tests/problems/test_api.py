"""The open data API: endpoints, filters, pagination, query counts, and privacy (markers)."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
import yaml
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from drf_spectacular.validation import validate_schema

from problems.models import Category, Problem, TimelineEntry
from problems.services import (
    CHRONIC_TESTS,
    problem_confirm_chronic,
    problem_transition,
)
from problems.workflow import PUBLIC, Move, Status
from residents.models import Role
from tests.conftest import PERSONA_NAMES
from tests.factories import MARKERS, SENSITIVE_SUMMARY, Planted
from tests.support import assert_no_markers

PROBLEM_FIELDS = {
    "id",
    "neighbourhood",
    "category",
    "title",
    "description",
    "location",
    "status",
    "support_count",
    "chronic",
    "created_at",
    "accepted_at",
    "activity_at",
    "merged_into",
    "url",
}
TIMELINE_FIELDS = {"move", "from_status", "to_status", "public_note", "at", "actor_role", "other"}


@pytest.fixture
def api(client):
    """GET an API URL as an anonymous client; returns the response (JSON in .json())."""

    def _get(name: str, *, query: dict[str, Any] | None = None, **kwargs: Any):
        return client.get(reverse(name, kwargs=kwargs or None), query or {})

    return _get


def ids(response) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


# Neighbourhoods and categories


def test_neighbourhoods_list_names_municipalities_and_pages(api, personas):
    response = api("api_neighbourhoods")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Access-Control-Allow-Origin"] == "*"
    data = response.json()
    assert data["count"] == 2 and data["next"] is None and data["previous"] is None
    assert data["results"] == [
        {
            "slug": "kanaleneiland-noord",
            "name": "Kanaleneiland-Noord",
            "municipality": "Utrecht",
            "url": "http://testserver/buurt/kanaleneiland-noord/",
        },
        {
            "slug": "poelenburg",
            "name": "Poelenburg",
            "municipality": "Zaandam",
            "url": "http://testserver/buurt/poelenburg/",
        },
    ]


def test_categories_list_the_seeded_categories_and_which_are_sensitive(api, db):
    data = api("api_categories").json()
    assert data["count"] == Category.objects.count() == 11
    by_slug = {row["slug"]: row for row in data["results"]}
    assert by_slug["drugsoverlast"] == {
        "slug": "drugsoverlast",
        "name": "Drugsoverlast",
        "name_en": "Drug nuisance",
        "sensitive": True,
    }
    assert [slug for slug, row in by_slug.items() if row["sensitive"]] == ["drugsoverlast"]
    assert next(iter(by_slug)) == "zwerfvuil"  # the register's order


# Problems


def test_problems_list_only_what_the_team_accepted(api, make_problem, personas):
    made: dict[str, Problem] = {s: make_problem(s) for s in Status if s != Status.MERGED}
    merged = make_problem()
    problem_transition(
        problem=merged,
        move=Move.MERGE,
        actor=personas.chair,
        actors={Role.CHAIR},
        into=made[Status.ACCEPTED],
    )
    made[Status.MERGED] = merged
    response = api("api_problems")
    assert response.status_code == 200
    rows = {row["id"]: row["status"] for row in response.json()["results"]}
    # A report declined straight from "new" was never accepted: it stays with its reporter.
    private = {Status.NEW, Status.DECLINED}
    assert set(rows.values()) == set(PUBLIC) - private
    assert rows == {p.pk: status for status, p in made.items() if status not in private}
    assert api("api_problem", pk=made[Status.NEW].pk).status_code == 404
    assert api("api_problem", pk=made[Status.DECLINED].pk).status_code == 404


def test_a_problem_shows_exactly_its_public_fields(api, make_problem, personas):
    problem = make_problem(
        title="Zwerfvuil bij de glasbak",
        description="Elke maandag ligt er afval.",
        street="Marshallaan",
        location_detail="bij de glasbak",
    )
    [row] = api("api_problems").json()["results"]
    assert set(row) == PROBLEM_FIELDS
    assert row == {
        "id": problem.pk,
        "neighbourhood": "kanaleneiland-noord",
        "category": "zwerfvuil",
        "title": "Zwerfvuil bij de glasbak",
        "description": "Elke maandag ligt er afval.",
        "location": "Marshallaan, bij de glasbak",
        "status": "accepted",
        "support_count": 0,
        "chronic": False,
        "created_at": row["created_at"],
        "accepted_at": row["accepted_at"],
        "activity_at": row["activity_at"],
        "merged_into": None,
        "url": f"http://testserver/buurt/kanaleneiland-noord/problemen/{problem.pk}/",
    }
    assert row["accepted_at"] is not None and row["created_at"] <= row["accepted_at"]
    detail = api("api_problem", pk=problem.pk).json()
    assert set(detail) == PROBLEM_FIELDS | {"timeline"}
    assert {k: v for k, v in detail.items() if k != "timeline"} == row


def test_a_sensitive_problem_shows_only_its_summary_and_street(api, planted):
    detail = api("api_problem", pk=planted.sensitive.pk).json()
    assert detail["title"] == SENSITIVE_SUMMARY
    assert detail["description"] == ""
    assert detail["location"] == "Talmalaan"
    assert detail["category"] == "drugsoverlast"
    assert [e["move"] for e in detail["timeline"]] == ["report", "accept", "edit"]


def test_a_sensitive_problem_without_a_summary_shows_its_category_and_street(api, make_problem):
    problem = make_problem(category="drugsoverlast", street="Talmalaan", title="Dealen bij nr 8")
    detail = api("api_problem", pk=problem.pk).json()
    assert "Drugsoverlast" in detail["title"] and "Talmalaan" in detail["title"]
    assert "Dealen" not in json.dumps(detail)


def test_filters_by_neighbourhood_category_and_status(api, make_problem, personas):
    litter = make_problem(category="zwerfvuil")
    light = make_problem(Status.PARKED, category="verlichting")
    elsewhere = make_problem(neighbourhood=personas.other_hood, category="zwerfvuil")

    def filtered(**query: str) -> set[int]:
        response = api("api_problems", query=query)
        assert response.status_code == 200, response.content
        return set(ids(response))

    assert filtered() == {litter.pk, light.pk, elsewhere.pk}
    assert filtered(neighbourhood="poelenburg") == {elsewhere.pk}
    assert filtered(neighbourhood="kanaleneiland-noord") == {litter.pk, light.pk}
    assert filtered(category="zwerfvuil") == {litter.pk, elsewhere.pk}
    assert filtered(status="parked") == {light.pk}
    assert filtered(neighbourhood="kanaleneiland-noord", category="zwerfvuil") == {litter.pk}
    assert filtered(neighbourhood="nergens") == set()


@pytest.mark.parametrize("status", ["new", "nieuw", "NEW", ""])
def test_filtering_on_new_or_unknown_status_is_refused_or_ignored(api, make_problem, status):
    make_problem(Status.NEW)
    accepted = make_problem()
    response = api("api_problems", query={"status": status})
    if status == "":  # an empty filter is no filter
        assert ids(response) == [accepted.pk]
    else:
        assert response.status_code == 400
        assert set(response.json()) == {"status"}


def test_problems_are_paginated_by_page_number(api, make_problem):
    made = [make_problem(title=f"Probleem {n}") for n in range(5)]
    newest_first = [p.pk for p in reversed(made)]
    first = api("api_problems", query={"page_size": 2}).json()
    assert first["count"] == 5 and first["previous"] is None
    assert [row["id"] for row in first["results"]] == newest_first[:2]
    assert first["next"].endswith("page=2&page_size=2")
    third = api("api_problems", query={"page": 3, "page_size": 2}).json()
    assert [row["id"] for row in third["results"]] == newest_first[4:]
    assert third["next"] is None and "page_size=2" in third["previous"]
    for page in (4, 0, -1, "x"):
        response = api("api_problems", query={"page": page, "page_size": 2})
        assert response.status_code == 404
        assert set(response.json()) == {"detail"}


def test_page_size_defaults_to_50_and_is_capped_at_100(api, personas, make_problem):
    template = make_problem()
    bulk_problems(template, 130)
    assert len(api("api_problems").json()["results"]) == 50
    assert len(api("api_problems", query={"page_size": 500}).json()["results"]) == 100


def test_the_timeline_shows_moves_notes_and_roles_but_no_one_by_name(api, planted):
    detail = api("api_problem", pk=planted.plain.pk).json()
    timeline = detail["timeline"]
    assert all(set(entry) == TIMELINE_FIELDS for entry in timeline)
    assert [
        (e["move"], e["from_status"], e["to_status"], e["actor_role"], e["public_note"])
        for e in timeline
    ] == [
        ("report", None, "new", "office", ""),
        ("accept", "new", "accepted", "chair", "Bekeken op de vergadering"),
    ]
    assert timeline[0]["at"] <= timeline[1]["at"]
    assert "Fatima" not in json.dumps(detail)  # the chair who accepted it


def test_a_merged_problem_points_to_the_one_that_stays(api, make_problem, personas):
    stays, goes = make_problem(), make_problem()
    problem_transition(
        problem=goes, move=Move.MERGE, actor=personas.chair, actors={Role.CHAIR}, into=stays
    )
    gone = api("api_problem", pk=goes.pk).json()
    assert gone["status"] == "merged" and gone["merged_into"] == stays.pk
    assert gone["timeline"][-1]["move"] == "merge" and gone["timeline"][-1]["other"] == stays.pk
    kept = api("api_problem", pk=stays.pk).json()
    assert kept["merged_into"] is None
    assert kept["timeline"][-1]["move"] == "merged_in"
    assert kept["timeline"][-1]["other"] == goes.pk


def test_chronic_shows_once_the_chair_confirmed_it(api, make_problem, personas):
    problem = make_problem()
    assert api("api_problem", pk=problem.pk).json()["chronic"] is False
    problem_confirm_chronic(
        problem=problem,
        actor=personas.chair,
        role=Role.CHAIR,
        tests=dict.fromkeys((key for key, _label in CHRONIC_TESTS), True),
    )
    assert api("api_problem", pk=problem.pk).json()["chronic"] is True


def test_unknown_problems_and_paths_answer_404_in_json(api, client, make_problem):
    make_problem()
    for path in ("/api/problems/999999/", "/api/problems/abc/", "/api/", "/api/nothing/here/"):
        response = client.get(path)
        assert response.status_code == 404, path
        assert response["Content-Type"] == "application/json", path
    huge = client.get("/api/problems/99999999999999999999999999/")
    assert huge.status_code == 404


@pytest.mark.parametrize("method", ["post", "put", "patch", "delete", "options"])
def test_the_api_is_read_only(client, make_problem, method):
    problem = make_problem()
    for url in (reverse("api_problems"), reverse("api_problem", kwargs={"pk": problem.pk})):
        response = getattr(client, method)(url, {}, content_type="application/json")
        assert response.status_code == 405, url
    assert Problem.objects.count() == 1


def test_responses_are_json_never_the_browsable_html_api(client, make_problem):
    make_problem()
    response = client.get(reverse("api_problems"), HTTP_ACCEPT="text/html")
    assert response.status_code == 406
    assert client.get(reverse("api_problems"), {"format": "api"}).status_code == 404
    assert client.get(reverse("api_problems")).headers["Content-Security-Policy"]


def test_anonymous_clients_are_throttled_per_ip(client, settings, db):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api": "3/min"},
    }
    url = reverse("api_categories")
    for _n in range(3):
        assert client.get(url, REMOTE_ADDR="192.0.2.1").status_code == 200
    refused = client.get(url, REMOTE_ADDR="192.0.2.1")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert set(refused.json()) == {"detail"}
    assert client.get(url, REMOTE_ADDR="192.0.2.2").status_code == 200
    assert client.get(reverse("api_schema"), REMOTE_ADDR="192.0.2.1").status_code == 429


def test_the_default_rate_is_60_a_minute(client, db):
    url = reverse("api_categories")
    statuses = [client.get(url).status_code for _n in range(61)]
    assert statuses == [200] * 60 + [429]


# Query counts


def bulk_problems(template: Problem, count: int) -> list[Problem]:
    """Many public problems quickly (volume only; the services make the real ones)."""
    now = timezone.now()
    return Problem.objects.bulk_create(
        Problem(
            neighbourhood_id=template.neighbourhood_id,
            category_id=template.category_id,
            title=f"Probleem {n}",
            description="Beschrijving",
            street="Marshallaan",
            status=Status.ACCEPTED,
            accepted_at=now,
            activity_at=now - timedelta(minutes=n),
            sensitive=n % 7 == 0,
        )
        for n in range(count)
    )


def test_the_problem_list_takes_the_same_queries_for_10_or_1000_problems(
    api, make_problem, django_assert_num_queries, django_assert_max_num_queries
):
    template = make_problem(category="drugsoverlast")  # sensitive: its title uses the category
    bulk_problems(template, 9)
    with django_assert_max_num_queries(2) as small:
        assert len(ids(api("api_problems"))) == 10
    bulk_problems(template, 990)
    with django_assert_num_queries(len(small.captured_queries)):
        response = api("api_problems", query={"page_size": 100})
    assert response.json()["count"] == 1000 and len(ids(response)) == 100


def test_a_problem_takes_the_same_queries_for_a_short_or_long_timeline(
    api, make_problem, django_assert_num_queries, django_assert_max_num_queries
):
    problem = make_problem()
    with django_assert_max_num_queries(2) as small:
        assert len(api("api_problem", pk=problem.pk).json()["timeline"]) == 2
    TimelineEntry.objects.bulk_create(
        TimelineEntry(problem=problem, move=Move.EDIT, actor_role=Role.CHAIR) for _ in range(300)
    )
    with django_assert_num_queries(len(small.captured_queries)):
        assert len(api("api_problem", pk=problem.pk).json()["timeline"]) == 302


def test_the_neighbourhood_list_takes_the_same_queries_for_few_or_many(
    api, personas, django_assert_num_queries, django_assert_max_num_queries
):
    with django_assert_max_num_queries(2) as small:
        api("api_neighbourhoods")
    for n in range(60):
        personas.municipality.neighbourhoods.create(name=f"Wijk {n}", slug=f"wijk-{n}")
    with django_assert_num_queries(len(small.captured_queries)):
        assert len(api("api_neighbourhoods").json()["results"]) == 50


# Privacy: markers never reach the API, whoever asks


def every_api_url(planted: Planted) -> list[str]:
    urls = [
        reverse("api_neighbourhoods"),
        reverse("api_categories"),
        reverse("api_problems"),
        reverse("api_problems") + "?page_size=100",
        reverse("api_problems") + "?category=drugsoverlast",
        reverse("api_problems") + "?status=accepted&neighbourhood=kanaleneiland-noord",
        reverse("api_schema"),
        reverse("api_schema") + "?format=json",
        reverse("api_schema") + "?lang=en",
    ]
    urls += [
        reverse("api_problem", kwargs={"pk": p.pk})
        for p in (planted.plain, planted.sensitive, planted.new)
    ]
    return urls


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_no_private_field_or_marker_reaches_the_api_for_any_persona(
    login, personas, planted, persona
):
    client = login(personas.by_name(persona))
    seen = 0
    for url in every_api_url(planted):
        response = client.get(url)
        assert response.status_code in (200, 404), url
        assert_no_markers(response.content.decode())
        assert_no_markers(str(response.headers))
        seen += response.status_code == 200
    assert seen == len(every_api_url(planted)) - 1  # only the new report is not found
    # A session (even the team's) shows nothing more: the new report stays out of the list.
    listed = ids(client.get(reverse("api_problems")))
    assert sorted(listed) == sorted([planted.plain.pk, planted.sensitive.pk])


def test_the_markers_are_really_planted(planted):
    """The privacy test above could not fail if the markers were nowhere to be found."""
    plain, sensitive = planted.plain, planted.sensitive
    assert plain.reporter.display_name == MARKERS["reporter_name"]
    assert plain.confidential_details == MARKERS["confidential"]
    assert plain.reported_for == MARKERS["reported_for"]
    assert plain.timeline.filter(confidential_note=MARKERS["confidential_note"]).exists()
    assert sensitive.title == MARKERS["sensitive_title"]
    assert sensitive.description == MARKERS["sensitive_description"]
    assert sensitive.location_detail == MARKERS["sensitive_location"]
    assert MARKERS["sensitive_old_title"] in json.dumps(list(sensitive.timeline.values("changes")))
    assert planted.new.title == MARKERS["new_title"]
    with pytest.raises(AssertionError):
        assert_no_markers(f"Gemeld door {plain.reporter.display_name.upper()}")


# The schema


def test_the_schema_is_valid_openapi_3_and_documents_every_endpoint(client, db):
    response = client.get(reverse("api_schema"), {"format": "json", "lang": "en"})
    assert response.status_code == 200
    schema = response.json()
    validate_schema(schema)
    assert schema["openapi"].startswith("3.")
    assert set(schema["paths"]) == {
        "/api/neighbourhoods/",
        "/api/categories/",
        "/api/problems/",
        "/api/problems/{id}/",
    }
    problems = schema["paths"]["/api/problems/"]["get"]
    assert {p["name"] for p in problems["parameters"]} == {
        "neighbourhood",
        "category",
        "status",
        "page",
        "page_size",
    }
    status = next(p for p in problems["parameters"] if p["name"] == "status")
    assert set(status["schema"]["enum"]) == set(PUBLIC)
    assert set(problems["responses"]) == {"200", "400", "404", "429"}
    fields = schema["components"]["schemas"]["Problem"]["properties"]
    assert set(fields) == PROBLEM_FIELDS
    timeline = schema["components"]["schemas"]["TimelineEntry"]["properties"]
    assert set(timeline) == TIMELINE_FIELDS


def test_the_schema_is_yaml_by_default_and_in_dutch_unless_asked(client, db):
    response = client.get(reverse("api_schema"))
    assert response.status_code == 200
    schema = yaml.safe_load(response.content)
    with translation.override("nl"):
        dutch = str(_("Public problems"))
    assert schema["paths"]["/api/problems/"]["get"]["summary"] == dutch
    english = yaml.safe_load(client.get(reverse("api_schema"), {"lang": "en"}).content)
    assert english["paths"]["/api/problems/"]["get"]["summary"] == "Public problems"
