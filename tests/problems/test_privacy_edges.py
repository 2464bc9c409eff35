"""Edges where confidential details could slip out: sensitivity changes, free text, the admin."""

from __future__ import annotations

from django.urls import reverse

from problems.models import Category, Problem
from problems.services import problem_edit
from problems.workflow import Status
from tests.conftest import give_second_factor, make_person


def test_moving_a_sensitive_problem_to_another_category_keeps_it_sensitive(make_problem, personas):
    problem = make_problem(category="drugsoverlast", title="Dealen op nr. 8")
    problem_edit(
        problem=problem,
        actor=personas.office,
        role="office",
        category=Category.objects.get(slug="overig"),
    )
    problem.refresh_from_db()
    assert problem.sensitive and problem.public_title != "Dealen op nr. 8"


def test_the_free_text_since_of_a_sensitive_problem_is_not_public(client, make_problem, personas):
    problem = make_problem(category="drugsoverlast", since="sinds de familie op nr. 8 er woont")
    assert problem.public_since == ""
    assert b"familie op nr. 8" not in client.get(problem.get_absolute_url()).content


def test_the_problem_page_is_never_cached(client, make_problem):
    response = client.get(make_problem().get_absolute_url())
    assert "no-store" in response["Cache-Control"]


def admin_client(client):
    superuser = make_person("Beheerder", "beheer@example.nl", is_staff=True, is_superuser=True)
    give_second_factor(superuser)
    client.force_login(superuser)
    return client


def test_marking_a_category_sensitive_in_the_admin_covers_its_problems(
    client, make_problem, personas
):
    problem = make_problem(category="overig", title="Dealen in de portiek")
    category = Category.objects.get(slug="overig")
    url = reverse("admin:problems_category_change", args=[category.pk])
    response = admin_client(client).post(
        url,
        {
            "name": category.name,
            "name_en": category.name_en,
            "slug": category.slug,
            "sensitive": "on",
            "position": category.position,
        },
    )
    assert response.status_code == 302
    problem.refresh_from_db()
    assert problem.sensitive


def test_the_admin_neither_deletes_problems_nor_shows_their_secrets(client, make_problem, personas):
    problem = make_problem(
        Status.ACCEPTED, confidential_details="Qzgeheimxq", reported_for="Mevrouw Qzmelderxq"
    )
    admin = admin_client(client)
    delete = reverse("admin:problems_problem_delete", args=[problem.pk])
    assert admin.get(delete).status_code == 403
    assert Problem.objects.filter(pk=problem.pk).exists()
    change = admin.get(reverse("admin:problems_problem_change", args=[problem.pk]))
    assert change.status_code == 200
    assert b"Qzgeheimxq" not in change.content and b"Qzmelderxq" not in change.content
