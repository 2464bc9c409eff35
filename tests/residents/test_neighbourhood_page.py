from __future__ import annotations

import pytest
from django.urls import reverse

from residents.models import Membership, Role
from tests.conftest import make_person


def test_public_page_shows_team_and_honest_empty_states(client, personas):
    response = client.get(reverse("neighbourhood", args=[personas.hood.slug]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "Kanaleneiland-Noord" in html
    assert "Kees de Vries" in html and "Politie Midden-Nederland" in html
    assert "Dirk Hendriks" in html and "Woningcorporatie Thuisbasis" in html
    assert "Nog geen overleg gepland" in html
    assert "Nog geen prioriteiten" in html


def test_public_page_names_no_residents(client, personas):
    html = client.get(reverse("neighbourhood", args=[personas.hood.slug])).content.decode()
    for resident in (
        personas.resident,
        personas.second_resident,
        personas.paper_resident,
        personas.pending_resident,
    ):
        assert resident.display_name not in html
    assert personas.resident.email not in html


def test_page_of_another_neighbourhood_does_not_show_this_team(client, personas):
    html = client.get(reverse("neighbourhood", args=[personas.other_hood.slug])).content.decode()
    assert "Kees de Vries" not in html
    assert "Joost Peters" in html


def test_unknown_neighbourhood_is_404(client, db):
    assert client.get(reverse("neighbourhood", args=["nergens"])).status_code == 404


def test_pending_member_sees_waiting_notice(login, personas):
    client = login(personas.pending_resident)
    html = client.get(reverse("neighbourhood", args=[personas.hood.slug])).content.decode()
    assert "Wacht op goedkeuring" in html


def _grow_team(personas, extra: int) -> None:
    for i in range(extra):
        Membership.objects.create(
            user=make_person(f"Extra {i}", f"extra{i}@example.nl"),
            neighbourhood=personas.hood,
            role=Role.PROFESSIONAL,
            organisation=personas.housing,
            status="active",
        )
        Membership.objects.create(
            user=make_person(f"Bewoner {i}", f"bewoner{i}@example.nl"),
            neighbourhood=personas.hood,
            role=Role.RESIDENT,
            status="active",
        )


@pytest.mark.parametrize("viewer", ["anonymous", "resident", "chair"])
def test_query_count_does_not_grow_with_the_team(
    login, personas, django_assert_max_num_queries, django_assert_num_queries, viewer
):
    client = login(personas.by_name(viewer))
    url = reverse("neighbourhood", args=[personas.hood.slug])
    client.get(url)  # warm the session
    with django_assert_max_num_queries(20) as small:
        client.get(url)
    _grow_team(personas, 25)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(url)
    assert response.status_code == 200


def test_dutch_is_the_default_even_for_an_english_browser(client, personas):
    url = reverse("neighbourhood", args=[personas.hood.slug])
    response = client.get(url, headers={"accept-language": "en-GB,en;q=0.9"})
    assert "Het ondersteuningsteam" in response.content.decode()
    assert response["Content-Language"] == "nl"


def test_language_switch_keeps_the_page(client, personas):
    url = reverse("neighbourhood", args=[personas.hood.slug])
    response = client.post(reverse("set_language"), {"language": "en", "next": url})
    assert response.status_code == 302 and response["Location"] == url
    assert "The support team" in client.get(url).content.decode()


def test_profile_language_is_used_without_a_choice_on_this_device(login, personas):
    personas.resident.language = "en"
    personas.resident.save()
    client = login(personas.resident)
    html = client.get(reverse("neighbourhood", args=[personas.hood.slug])).content.decode()
    assert "The support team" in html
