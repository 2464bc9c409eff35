"""Invite codes: making them, listing them, and the printed sheet of cut-out cards."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from weasyprint import HTML

from buurtoverleg.qr import qr_data_uri
from residents.members.views import CODES_PER_PAGE, invite_sheet_html
from residents.models import InviteCode
from residents.services import invite_codes_create, invite_join_url
from tests.conftest import PERSONA_NAMES, make_person

PRINT_INVITE_CODES = {"chair", "office", "coordinator"}


@pytest.fixture
def as_persona(login, personas, settings):
    def _as(name: str):
        client = login(personas.by_name(name))
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return _as


def codes_url(personas) -> str:
    return reverse("members:invite_codes", args=[personas.hood.slug])


def sheet_url(personas) -> str:
    return reverse("members:invite_sheet", args=[personas.hood.slug])


def make_codes(personas, count: int, **kwargs) -> list[InviteCode]:
    return invite_codes_create(
        neighbourhood=personas.hood, by=personas.chair, count=count, **kwargs
    )


def expected(persona: str, ok: int) -> int:
    if persona == "anonymous":
        return 302
    return ok if persona in PRINT_INVITE_CODES else 403


# --- Permissions -------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_invite_codes_page_permissions(as_persona, personas, invite_code, persona):
    response = as_persona(persona).get(codes_url(personas))
    assert response.status_code == expected(persona, 200)
    assert (invite_code.code in response.content.decode()) == (persona in PRINT_INVITE_CODES)
    if persona == "anonymous":
        assert response.url.startswith(reverse("account_login"))


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_generate_permissions(as_persona, personas, persona):
    response = as_persona(persona).post(
        reverse("members:invite_codes_generate", args=[personas.hood.slug]),
        {"count": 3, "valid_days": 30},
    )
    assert response.status_code == expected(persona, 302)
    made = InviteCode.objects.filter(neighbourhood=personas.hood).count()
    assert made == (3 if persona in PRINT_INVITE_CODES else 0)


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_sheet_permissions(as_persona, personas, invite_code, persona):
    response = as_persona(persona).get(sheet_url(personas))
    assert response.status_code == expected(persona, 200)
    if response.status_code == 200:
        assert response["Content-Type"] == "application/pdf"


def test_chair_of_another_neighbourhood_sees_no_codes_here(as_persona, personas, invite_code):
    client = as_persona("outsider_chair")
    assert client.get(codes_url(personas)).status_code == 403
    own = client.get(reverse("members:invite_codes", args=[personas.other_hood.slug]))
    assert own.status_code == 200
    assert invite_code.code not in own.content.decode()


# --- Making and listing codes ---------------------------------------------------------------


def test_chair_makes_codes_and_is_offered_to_print_just_those(as_persona, personas):
    old = make_codes(personas, 2)
    client = as_persona("chair")
    response = client.post(
        reverse("members:invite_codes_generate", args=[personas.hood.slug]),
        {"count": 12, "valid_days": 14},
    )
    new = list(InviteCode.objects.exclude(pk__in=[c.pk for c in old]).order_by("pk"))
    assert len(new) == 12
    assert all(
        c.neighbourhood == personas.hood and c.created_by == personas.chair and c.email == ""
        for c in new
    )
    valid = new[0].expires_at - timezone.now()
    assert timedelta(days=13) < valid <= timedelta(days=14)
    assert response.status_code == 302
    assert response.url == f"{codes_url(personas)}?batch={new[0].pk}-{new[-1].pk}"
    html = client.get(response.url).content.decode()
    assert "12 new codes are ready to print" in html
    assert f"{sheet_url(personas)}?batch={new[0].pk}-{new[-1].pk}" in html


@pytest.mark.parametrize(
    ("count", "days", "message"),
    [
        ("0", "30", "at least 1 code"),
        ("101", "30", "at most 100 codes"),
        ("tien", "30", "whole number"),
        ("10", "0", "at least 1 day"),
        ("10", "366", "at most 365 days"),
    ],
)
def test_bad_numbers_are_form_errors(as_persona, personas, count, days, message):
    response = as_persona("chair").post(
        reverse("members:invite_codes_generate", args=[personas.hood.slug]),
        {"count": count, "valid_days": days},
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not InviteCode.objects.exists()


def test_page_lists_unused_used_and_expired_codes(as_persona, personas):
    unused, used, expired = make_codes(personas, 3)
    used.used_by = personas.resident
    used.used_at = timezone.now()
    used.save()
    expired.expires_at = timezone.now() - timedelta(days=1)
    expired.save()
    mailed = make_codes(personas, 1, email="sanne@example.nl")[0]
    html = as_persona("office").get(codes_url(personas)).content.decode()
    unused_part, finished_part = html.split("Used and expired codes")
    assert unused.code in unused_part and mailed.code in unused_part
    assert "sanne@example.nl" in unused_part
    assert used.code in finished_part and "Used by Mohamed Bouzid" in finished_part
    assert expired.code in finished_part and "not used" in finished_part


def test_codes_page_query_count_does_not_grow(
    as_persona, personas, django_assert_max_num_queries, django_assert_num_queries
):
    client = as_persona("chair")
    client.get(codes_url(personas))
    with django_assert_max_num_queries(15) as small:
        client.get(codes_url(personas))
    for code in make_codes(personas, 20):
        code.used_by = make_person(f"Bewoner {code.pk}", f"b{code.pk}@example.nl")
        code.used_at = timezone.now()
        code.save()
    make_codes(personas, 20)
    with django_assert_num_queries(len(small.captured_queries)):
        response = client.get(codes_url(personas))
    assert response.content.decode().count("Used by Bewoner") == 20


# --- The printed sheet ----------------------------------------------------------------------


def test_join_url_uses_the_site_address_and_carries_the_code(personas, settings):
    settings.SITE_URL = "https://buurt.example.nl"
    assert invite_join_url(neighbourhood=personas.hood, code="ABC-DEF-GHJ") == (
        "https://buurt.example.nl/buurt/kanaleneiland-noord/aanmelden/?code=ABC-DEF-GHJ"
    )
    assert invite_join_url(neighbourhood=personas.hood) == (
        "https://buurt.example.nl/buurt/kanaleneiland-noord/aanmelden/"
    )


def test_sheet_is_an_inline_pdf(as_persona, personas):
    make_codes(personas, 3)
    response = as_persona("office").get(sheet_url(personas))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("inline;")
    assert "uitnodigingscodes-kanaleneiland-noord.pdf" in response["Content-Disposition"]
    assert "no-store" in response["Cache-Control"]
    assert response.content.startswith(b"%PDF")
    assert len(response.content) > 5000


@pytest.mark.parametrize(("count", "pages"), [(1, 1), (CODES_PER_PAGE, 1), (25, 3)])
def test_sheet_has_ten_cards_per_a4_page(personas, count, pages):
    codes = make_codes(personas, count)
    document = HTML(string=invite_sheet_html(neighbourhood=personas.hood, codes=codes)).render()
    assert len(document.pages) == pages
    width, height = document.pages[0].width, document.pages[0].height
    assert (round(width * 25.4 / 96), round(height * 25.4 / 96)) == (210, 297)  # A4 in mm


def test_each_card_has_its_code_and_a_qr_code_to_the_join_page(personas, settings):
    settings.SITE_URL = "https://buurt.example.nl"
    codes = make_codes(personas, 2)
    html = invite_sheet_html(neighbourhood=personas.hood, codes=codes)
    for code in codes:
        assert code.code in html
        url = f"https://buurt.example.nl/buurt/kanaleneiland-noord/aanmelden/?code={code.code}"
        assert qr_data_uri(url) in html
    assert html.count('class="qr"') == 2
    assert "Kanaleneiland-Noord" in html
    assert "https://buurt.example.nl/buurt/kanaleneiland-noord/aanmelden/" in html


def test_sheet_prints_only_usable_cards_and_only_the_batch_asked_for(
    as_persona, personas, monkeypatch
):
    from residents.members import views as member_views

    printed: list[list[str]] = []

    def fake_pdf(*, neighbourhood, codes) -> bytes:
        printed.append([c.code for c in codes])
        return b"%PDF-fake"

    monkeypatch.setattr(member_views, "invite_sheet_pdf", fake_pdf)
    first = make_codes(personas, 3)
    second = make_codes(personas, 2)
    mailed = make_codes(personas, 1, email="sanne@example.nl")
    first[0].used_at = timezone.now()
    first[0].save()
    first[1].expires_at = timezone.now() - timedelta(minutes=1)
    first[1].save()
    other = invite_codes_create(neighbourhood=personas.other_hood, by=None, count=1)
    client = as_persona("chair")
    client.get(sheet_url(personas))
    client.get(f"{sheet_url(personas)}?batch={second[0].pk}-{second[-1].pk}")
    client.get(f"{sheet_url(personas)}?batch={other[0].pk}-{other[0].pk}")
    assert printed[0] == [first[2].code] + [c.code for c in second]
    assert mailed[0].code not in printed[0]
    assert printed[1] == [c.code for c in second]
    assert len(printed) == 2  # the other neighbourhood's code is not found: nothing to print


def test_sheet_without_codes_sends_the_chair_back(as_persona, personas):
    response = as_persona("chair").get(sheet_url(personas))
    assert response.status_code == 302 and response.url == codes_url(personas)
