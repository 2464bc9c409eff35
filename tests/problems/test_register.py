"""The public register (filters, sorting, pages, what never shows) and "Mijn meldingen"."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from problems.models import Category, Problem
from problems.services import problem_follow, problem_support
from problems.workflow import Status
from tests.conftest import PERSONA_NAMES, assert_status

EVERYONE = set(PERSONA_NAMES) - {"anonymous"}


def register_url(personas, **query) -> str:
    url = reverse("problem_list", args=[personas.hood.slug])
    if query:
        from urllib.parse import urlencode

        url += "?" + urlencode(query)
    return url


def bulk_problems(hood, count: int, *, status: str = Status.ACCEPTED, **fields) -> None:
    """Many problems at once, written directly: the register only reads them."""
    category = Category.objects.get(slug=fields.pop("category", "zwerfvuil"))
    now = timezone.now()
    fields.setdefault("street", "Marshallaan")
    Problem.objects.bulk_create(
        Problem(
            neighbourhood=hood,
            category=category,
            title=f"Probleem nummer {i}",
            description="Beschrijving",
            status=status,
            support_count=i % 7,
            created_at=now - timedelta(days=i),
            activity_at=now - timedelta(hours=i),
            accepted_at=now - timedelta(days=i),
            **fields,
        )
        for i in range(count)
    )


# --- Who sees the register, and what never shows ------------------------------------------


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_register_is_public_but_never_lists_new_reports(
    as_persona, personas, make_problem, persona
):
    make_problem(title="Geaccepteerd probleem")
    make_problem(Status.NEW, title="Nieuwe melding van Mohamed")
    make_problem(Status.NEW, title="Nieuwe melding van de wijkagent", reporter=personas.wijkagent)
    make_problem(title="Probleem in Poelenburg", neighbourhood=personas.other_hood)
    response = as_persona(persona).get(register_url(personas))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Geaccepteerd probleem" in body
    # Not even for the reporter or the team: the team has its own queue.
    assert "Nieuwe melding" not in body
    assert "Poelenburg</a></h3>" not in body and "Probleem in Poelenburg" not in body


def test_unknown_neighbourhood_is_404(client, personas):
    assert client.get(reverse("problem_list", args=["nergens"])).status_code == 404


def test_each_row_shows_the_public_facts(client, personas, make_problem, english_pages):
    problem = make_problem(title="Kapotte lantaarn", category="verlichting", street="Talmalaan")
    problem_support(problem=problem, user=personas.second_resident)
    body = client.get(register_url(personas)).content.decode()
    assert "Kapotte lantaarn" in body
    assert "Street lighting" in body
    assert "Accepted" in body
    assert "Talmalaan" in body
    assert "1 resident has this too" in body
    assert reverse("problem", args=[personas.hood.slug, problem.pk]) in body


def test_sensitive_problem_shows_only_its_public_summary(client, personas, make_problem):
    make_problem(
        category="drugsoverlast",
        title="Dealen bij Talmalaan 12",
        description="Bij nummer 12 wordt gedeald",
        street="Talmalaan",
        location_detail="nummer 12",
        confidential_details="Naam: geheime buurman",
    )
    body = client.get(register_url(personas)).content.decode()
    assert "Drugsoverlast" in body and "Talmalaan" in body
    for secret in ("Dealen bij", "nummer 12", "gedeald", "geheime buurman"):
        assert secret not in body


def test_chronic_marker(client, personas, make_problem, english_pages):
    problem = make_problem(title="Altijd vuil")
    Problem.objects.filter(pk=problem.pk).update(chronic_confirmed_at=timezone.now())
    make_problem(title="Net gemeld")
    body = client.get(register_url(personas)).content.decode()
    assert body.count("badge--chronic") == 1


def test_likely_chronic_marker_is_for_the_team(login, personas, make_problem, english_pages):
    problem = make_problem(title="Al lang open")
    Problem.objects.filter(pk=problem.pk).update(reopened_count=1)
    assert "Likely chronic" in login(personas.chair).get(register_url(personas)).content.decode()
    body = login(personas.resident).get(register_url(personas)).content.decode()
    assert "Likely chronic" not in body


# --- Filters, sorting, pages ----------------------------------------------------------------


def titles(response) -> list[str]:
    return [row.problem.title for row in response.context["rows"]]


def test_filters(client, personas, make_problem):
    make_problem(title="Vuil Marshallaan", street="Marshallaan")
    make_problem(title="Lamp Talmalaan", category="verlichting", street="Talmalaan")
    make_problem(Status.PARKED, title="Geparkeerd vuil", street="Talmalaan")
    assert set(titles(client.get(register_url(personas, category="verlichting")))) == {
        "Lamp Talmalaan"
    }
    assert set(titles(client.get(register_url(personas, status="parked")))) == {"Geparkeerd vuil"}
    assert set(titles(client.get(register_url(personas, street="talma")))) == {
        "Lamp Talmalaan",
        "Geparkeerd vuil",
    }
    combined = client.get(register_url(personas, street="talma", status="accepted"))
    assert titles(combined) == ["Lamp Talmalaan"]
    # The total counts what matches the filters, in this neighbourhood only.
    make_problem(neighbourhood=personas.other_hood, reporter=personas.outsider, street="Talmalaan")
    talma = client.get(register_url(personas, street="talma"))
    assert talma.context["page"].paginator.count == 2
    assert client.get(register_url(personas)).context["page"].paginator.count == 3


@pytest.mark.parametrize(
    "query",
    [
        {"status": "new"},
        {"status": "onzin"},
        {"category": "bestaat-niet"},
        {"sort": "DROP TABLE"},
        {"street": "x" * 500},
        {"street": "nul\x00teken"},
        {"page": "abc"},
        {"page": "999"},
        {"page": "-1"},
        {"category": "verlichting'--", "status": "merged)", "sort": "<script>"},
    ],
)
def test_bad_filter_values_are_ignored(client, personas, make_problem, query):
    make_problem(title="Geaccepteerd")
    make_problem(Status.NEW, title="Nieuw en geheim")
    response = client.get(register_url(personas, **query))
    assert response.status_code == 200
    # The bad filter is reset: the whole register shows, and nothing new slips in.
    assert titles(response) == ["Geaccepteerd"]
    form = response.context["form"]
    assert form.is_valid()
    for name, value in query.items():
        if name != "page":
            assert form.cleaned_data.get(name) != value


def test_a_bad_value_resets_only_its_own_filter(client, personas, make_problem):
    make_problem(title="Lamp Talmalaan", category="verlichting", street="Talmalaan")
    make_problem(title="Vuil Talmalaan", street="Talmalaan")
    make_problem(title="Lamp elders", category="verlichting", street="Marshallaan")
    response = client.get(register_url(personas, category="verlichting", status="onzin"))
    assert set(titles(response)) == {"Lamp Talmalaan", "Lamp elders"}


def test_sorting(client, personas, make_problem):
    now = timezone.now()
    few = make_problem(title="Weinig steun, oud, net actief")
    many = make_problem(title="Veel steun, nieuwst")
    mid = make_problem(title="Middel")
    for problem, support, created, activity in (
        (few, 1, now - timedelta(days=30), now),
        (many, 9, now - timedelta(days=1), now - timedelta(days=5)),
        (mid, 4, now - timedelta(days=10), now - timedelta(days=2)),
    ):
        Problem.objects.filter(pk=problem.pk).update(
            support_count=support, created_at=created, activity_at=activity
        )
    default = titles(client.get(register_url(personas)))
    assert default == [many.title, mid.title, few.title]
    assert titles(client.get(register_url(personas, sort="support"))) == default
    assert titles(client.get(register_url(personas, sort="newest"))) == [
        many.title,
        mid.title,
        few.title,
    ]
    assert titles(client.get(register_url(personas, sort="activity"))) == [
        few.title,
        mid.title,
        many.title,
    ]


def test_pages_of_fifty_keep_the_filters(client, personas, english_pages):
    bulk_problems(personas.hood, 51, street="Talmalaan")
    bulk_problems(personas.hood, 3, street="Marshallaan")
    response = client.get(register_url(personas, street="Talmalaan"))
    assert len(response.context["rows"]) == 50
    body = response.content.decode()
    assert "Page 1 of 2" in body
    assert "?street=Talmalaan&amp;page=2" in body
    second = client.get(register_url(personas, street="Talmalaan", page=2))
    assert len(second.context["rows"]) == 1
    assert "Page 2 of 2" in second.content.decode()
    assert "?street=Talmalaan&amp;page=1" in second.content.decode()


@pytest.mark.parametrize("size", [10, 1000])
def test_register_query_count_does_not_grow(client, personas, django_assert_num_queries, size):
    bulk_problems(personas.hood, size)
    # The neighbourhood, the categories, the count, one page of problems with their categories.
    with django_assert_num_queries(4):
        response = client.get(register_url(personas))
    assert len(response.context["rows"]) == min(size, 50)


def test_register_keeps_the_categories_but_shows_new_ones(
    client, personas, django_assert_num_queries
):
    bulk_problems(personas.hood, 3)
    client.get(register_url(personas))
    with django_assert_num_queries(3):  # the categories are kept from the first request
        client.get(register_url(personas))
    # A category added through the ORM is in the filter at once.
    Category.objects.create(name="Hondenpoep", slug="hondenpoep", position=99)
    assert "Hondenpoep" in client.get(register_url(personas)).content.decode()
    # One this process never heard of (bulk_create sends no signal; another process's admin
    # edit is the same): its problems still show with the right category.
    [newer] = Category.objects.bulk_create([Category(name="Meeuwen", slug="meeuwen")])
    bulk_problems(personas.hood, 1, category="meeuwen")
    response = client.get(register_url(personas))
    assert [
        row.category for row in response.context["rows"] if row.problem.category_id == newer.pk
    ] == ["Meeuwen"]
    assert "Meeuwen" in response.content.decode()


@pytest.mark.parametrize("size", [10, 1000])
def test_register_query_count_for_the_team(login, personas, django_assert_num_queries, size):
    bulk_problems(personas.hood, size, reopened_count=1)
    chair = login(personas.chair)
    chair.get(register_url(personas))  # the second-factor check is stored in the session
    # Session, user, neighbourhood, roles (memberships, coordinators), count, page, the menu's
    # neighbourhoods. The categories were read by the first request and are kept a minute.
    with django_assert_num_queries(8):
        response = chair.get(register_url(personas))
    assert sum(row.likely_chronic for row in response.context["rows"]) == min(size, 50)


# --- Mijn meldingen ---------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_my_problems_permissions(as_persona, personas, persona):
    response = as_persona(persona).get(reverse("my_problems"))
    assert_status(response, persona, EVERYONE, 200)


def test_my_problems_lists_own_reports_and_what_one_supports_or_follows(
    login, personas, make_problem
):
    own_new = make_problem(Status.NEW, title="Mijn nieuwe melding")
    own_elsewhere = make_problem(
        Status.DECLINED, title="Mijn melding in Poelenburg", neighbourhood=personas.other_hood
    )
    supported = make_problem(title="Steun ik", reporter=personas.second_resident)
    problem_support(problem=supported, user=personas.resident)
    followed = make_problem(Status.PARKED, title="Volg ik", reporter=personas.second_resident)
    problem_follow(problem=followed, user=personas.resident)
    other = make_problem(title="Niet van mij", reporter=personas.second_resident)
    others_new = make_problem(Status.NEW, title="Nieuw van een ander", reporter=personas.chair)
    problem_follow(problem=others_new, user=personas.resident)  # e.g. once on the team

    response = login(personas.resident).get(reverse("my_problems"))
    body = response.content.decode()
    assert [p.pk for p in response.context["reported"]] == [own_elsewhere.pk, own_new.pk]
    assert {p.pk for p in response.context["involved"]} == {supported.pk, followed.pk}
    assert response.context["supported"] == {supported.pk}
    for title in (own_new.title, own_elsewhere.title, supported.title, followed.title):
        assert title in body
    assert other.title not in body
    assert others_new.title not in body


@pytest.mark.parametrize("size", [1, 30])
def test_my_problems_query_count_does_not_grow(
    login, personas, make_problem, django_assert_num_queries, size
):
    bulk_problems(personas.hood, size, reporter=personas.resident)
    for problem in Problem.objects.filter(reporter=personas.resident)[: size // 2 + 1]:
        problem_support(problem=problem, user=personas.second_resident)
    client = login(personas.second_resident)
    client.get(reverse("my_problems"))
    # Session, user, their roles (memberships, coordinators: the middleware asks on every
    # request whether they must set up a second factor), own reports, involved problems,
    # which of them supported, the menu.
    with django_assert_num_queries(8):
        client.get(reverse("my_problems"))
