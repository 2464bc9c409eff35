"""Reporting a problem: who may, what is saved, and that bad input saves nothing at all."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from problems import photos
from problems.models import Category, Follow, Photo, Problem, TimelineEntry
from problems.workflow import Move, Status
from tests.conftest import PERSONA_NAMES, assert_status
from tests.support import GPS_IFD, REPORTERS, files_in, photo, report_url, valid_data

ENTER_FOR = {"chair", "office"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


# --- Permissions -------------------------------------------------------------------------


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_report_page_permissions(as_persona, personas, persona):
    response = as_persona(persona).get(report_url(personas))
    assert_status(response, persona, REPORTERS, 200)
    if response.status_code == 200:
        assert b'enctype="multipart/form-data"' in response.content


@pytest.mark.parametrize("persona", PERSONA_NAMES)
def test_report_post_permissions(as_persona, personas, persona):
    response = as_persona(persona).post(report_url(personas), valid_data())
    assert_status(response, persona, REPORTERS, 302)
    if persona in REPORTERS:
        problem = Problem.objects.get()
        assert problem.reporter == personas.by_name(persona)
        assert problem.entered_by is None
        assert response.url == reverse("problem", args=[personas.hood.slug, problem.pk])
    else:
        assert not Problem.objects.exists()


def test_report_in_another_neighbourhood_is_refused(as_persona, personas):
    url = reverse("report:problem_report", args=[personas.other_hood.slug])
    assert as_persona("resident").post(url, valid_data()).status_code == 403
    assert not Problem.objects.exists()


def test_unknown_neighbourhood_is_404(as_persona):
    response = as_persona("resident").get(reverse("report:problem_report", args=["nergens"]))
    assert response.status_code == 404


# --- The page ------------------------------------------------------------------------------


def not_for_this_form(content: bytes) -> str:
    """The page's own notice (the footer repeats 112 on every page)."""
    page = content.decode()
    start = page.index('<section class="report-elsewhere"')
    return page[start : page.index("</section>", start)]


def test_page_says_what_it_is_not_for(as_persona, personas):
    page = not_for_this_form(as_persona("resident").get(report_url(personas)).content)
    assert "Call 112" in page
    assert "Meld Misdaad Anoniem: 0800-7000" in page
    assert "Report it to your municipality's reporting service." in page
    assert "href=" not in page


def test_page_links_to_the_municipality_reporting_service(as_persona, personas):
    personas.municipality.reporting_service_url = "https://www.utrecht.nl/melding"
    personas.municipality.save()
    page = not_for_this_form(as_persona("resident").get(report_url(personas)).content)
    assert 'href="https://www.utrecht.nl/melding"' in page
    assert "Report it to the municipality of Utrecht" in page


def test_sensitive_category_says_details_stay_with_the_team(as_persona, personas):
    page = as_persona("resident").get(report_url(personas)).content.decode()
    drugs = Category.objects.get(slug="drugsoverlast")
    marker = "your description and other details stay with the neighbourhood team"
    assert page.lower().count(marker) == Category.objects.filter(sensitive=True).count() == 1
    after = page[page.index(f'value="{drugs.pk}"') :]
    assert marker in after[: after.index("</label>")].lower()


def test_title_suggests_similar_problems_while_typing(as_persona, personas):
    page = as_persona("resident").get(report_url(personas)).content.decode()
    similar = reverse("report:problem_similar", args=[personas.hood.slug])
    assert f'hx-get="{similar}"' in page
    assert 'hx-trigger="input changed delay:400ms"' in page
    assert 'hx-target="#similar-problems"' in page
    assert 'id="similar-problems"' in page and 'aria-live="polite"' in page
    assert 'form="report-form"' in page and 'id="report-form"' in page


def test_only_the_team_sees_the_on_behalf_fields(as_persona, personas):
    assert b'name="reported_by"' not in as_persona("resident").get(report_url(personas)).content
    assert b'name="reported_by"' in as_persona("chair").get(report_url(personas)).content


# --- A good report ---------------------------------------------------------------------------


def test_resident_reports_a_problem_with_a_photo(as_persona, personas, media):
    client = as_persona("resident")
    response = client.post(
        report_url(personas), valid_data(photos=[photo(), photo(name="tweede.jpg")])
    )
    problem = Problem.objects.get()
    assert response.status_code == 302
    assert response.url == reverse("problem", args=[personas.hood.slug, problem.pk])
    assert problem.status == Status.NEW
    assert problem.reporter == personas.resident
    assert problem.title == "Afval naast de glasbak"
    assert problem.times_of_day == ["morning", "evening"]
    assert problem.days_of_week == ["mon"]
    assert problem.since == "sinds de zomer"
    assert problem.location_detail == "bij de speeltuin"
    assert problem.reporter_name_public is False
    assert problem.latitude is None and problem.longitude is None
    assert Follow.objects.filter(problem=problem, user=personas.resident).exists()
    entry = TimelineEntry.objects.get(problem=problem)
    assert entry.move == Move.REPORT and entry.actor == personas.resident
    # The photos are stored re-encoded: no EXIF, so no GPS position.
    saved = list(Photo.objects.filter(problem=problem))
    assert len(saved) == 2 and len(files_in(media)) == 2
    for row in saved:
        with Image.open(row.image.path) as image:
            assert image.format == "JPEG"
            assert not image.getexif()
            assert not image.getexif().get_ifd(GPS_IFD)
        assert b"SecretPhone" not in Path(row.image.path).read_bytes()
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert "The neighbourhood team looks at it first" in message


def test_name_public_and_map_point_are_saved(as_persona, personas):
    as_persona("resident").post(
        report_url(personas),
        valid_data(reporter_name_public="on", latitude="52.0712345678", longitude="5.0877"),
    )
    problem = Problem.objects.get()
    assert problem.reporter_name_public is True
    assert str(problem.latitude) == "52.071235" and str(problem.longitude) == "5.087700"


def test_sensitive_category_makes_a_sensitive_problem(as_persona, personas):
    drugs = Category.objects.get(slug="drugsoverlast")
    as_persona("resident").post(report_url(personas), valid_data(category=drugs.pk))
    assert Problem.objects.get().sensitive is True


def test_script_in_text_is_stored_as_typed_and_escaped(as_persona, personas):
    client = as_persona("resident")
    typed = "<script>alert('x')</script>"
    response = client.post(report_url(personas), valid_data(title=typed, description=""))
    assert response.status_code == 200
    assert typed.encode() not in response.content
    assert b"&lt;script&gt;" in response.content
    client.post(report_url(personas), valid_data(title=typed))
    assert Problem.objects.get().title == typed


def test_resident_cannot_report_on_behalf_of_someone(as_persona, personas):
    as_persona("resident").post(
        report_url(personas),
        valid_data(reported_by=personas.paper_resident.pk, reported_for="Iemand anders"),
    )
    problem = Problem.objects.get()
    assert problem.reporter == personas.resident
    assert problem.entered_by is None and problem.reported_for == ""


@pytest.mark.parametrize("persona", sorted(ENTER_FOR))
def test_team_enters_a_report_for_a_paper_resident(as_persona, personas, persona):
    team_member = personas.by_name(persona)
    response = as_persona(persona).post(
        report_url(personas), valid_data(reported_by=personas.paper_resident.pk)
    )
    assert response.status_code == 302
    problem = Problem.objects.get()
    assert problem.reporter == personas.paper_resident
    assert problem.entered_by == team_member
    assert problem.reported_for == ""
    entry = TimelineEntry.objects.get(problem=problem)
    assert entry.actor == team_member and entry.actor_role == persona
    assert Follow.objects.filter(problem=problem, user=personas.paper_resident).exists()
    assert not Follow.objects.filter(problem=problem, user=team_member).exists()
    [message] = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith("The report has been saved.")


def test_chair_enters_a_report_for_someone_without_an_account(as_persona, personas):
    as_persona("chair").post(report_url(personas), valid_data(reported_for="  Buurman Henk  "))
    problem = Problem.objects.get()
    assert problem.reporter is None
    assert problem.reported_for == "Buurman Henk"
    assert problem.entered_by == personas.chair
    assert problem.reporter_name_public is False


def test_chair_reporting_for_themselves_is_not_entered_for_anyone(as_persona, personas):
    as_persona("chair").post(report_url(personas), valid_data())
    problem = Problem.objects.get()
    assert problem.reporter == personas.chair and problem.entered_by is None


def test_members_to_enter_for_are_active_members_of_this_neighbourhood(as_persona, personas):
    page = as_persona("chair").get(report_url(personas)).content.decode()
    assert "Joke Kramer (without e-mail)" in page
    assert "Annie de Groot" in page
    assert "Tomasz Kowalski" not in page  # pending
    assert "Wim Verhoeven" not in page  # another neighbourhood


# --- Bad input: an error, and nothing saved ---------------------------------------------------


def _text_file() -> SimpleUploadedFile:
    return SimpleUploadedFile("vakantie.jpg", b"not an image", content_type="image/jpeg")


BAD_INPUT: list[tuple[str, str, dict[str, Any]]] = [
    ("no category", "category", {"category": None}),
    ("unknown category", "category", {"category": "999999"}),
    ("text as category", "category", {"category": "drugs"}),
    ("no title", "title", {"title": ""}),
    ("blank title", "title", {"title": "   "}),
    ("long title", "title", {"title": "x" * 121}),
    ("no description", "description", {"description": ""}),
    ("long description", "description", {"description": "x" * 4001}),
    ("no street", "street", {"street": " "}),
    ("long street", "street", {"street": "x" * 121}),
    ("long location", "location_detail", {"location_detail": "x" * 161}),
    ("latitude outside NL", "latitude", {"latitude": "48.85", "longitude": "5.1"}),
    ("longitude outside NL", "longitude", {"latitude": "52.1", "longitude": "2.35"}),
    ("latitude without longitude", "latitude", {"latitude": "52.1"}),
    ("longitude without latitude", "latitude", {"longitude": "5.1"}),
    ("latitude not a number", "latitude", {"latitude": "noord", "longitude": "5.1"}),
    ("latitude not finite", "latitude", {"latitude": "NaN", "longitude": "5.1"}),
    ("unknown time of day", "times_of_day", {"times_of_day": ["noon"]}),
    ("unknown day", "days_of_week", {"days_of_week": ["mon", "someday"]}),
    ("long since", "since", {"since": "x" * 81}),
]


@pytest.mark.parametrize(
    ("field", "changes"), [c[1:] for c in BAD_INPUT], ids=[c[0] for c in BAD_INPUT]
)
def test_bad_field_shows_an_error_and_saves_nothing(as_persona, personas, media, field, changes):
    response = as_persona("resident").post(
        report_url(personas), valid_data(**changes, photos=[photo()])
    )
    assert response.status_code == 200
    form = response.context["form"]
    assert field in form.errors, form.errors
    assert b'class="error-summary"' in response.content
    assert f'href="#id_{field}"'.encode() in response.content
    assert b"Please choose them again." in response.content  # the browser forgets the files
    assert not Problem.objects.exists() and not Photo.objects.exists()
    assert files_in(media) == []


PHOTO_CASES = {
    "text file named .jpg": lambda: [_text_file()],
    "one good, one bad": lambda: [photo(), _text_file()],
    "four photos": lambda: [photo() for _ in range(4)],
    "a GIF": lambda: [photo(_gif(), "animatie.gif")],
}


def _gif() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (10, 10)).save(out, "GIF")
    return out.getvalue()


@pytest.mark.parametrize("case", PHOTO_CASES)
def test_bad_photo_saves_nothing(as_persona, personas, media, case):
    response = as_persona("resident").post(
        report_url(personas), valid_data(photos=PHOTO_CASES[case]())
    )
    assert response.status_code == 200
    assert "photos" in response.context["form"].errors
    assert not Problem.objects.exists() and not Photo.objects.exists()
    assert not TimelineEntry.objects.exists()
    assert files_in(media) == []


def test_oversize_photo_is_refused_with_a_clear_message(as_persona, personas, media, monkeypatch):
    monkeypatch.setattr(photos, "MAX_PHOTO_BYTES", 1000)
    response = as_persona("resident").post(report_url(personas), valid_data(photos=[photo()]))
    [message] = response.context["form"].errors["photos"]
    assert "foto.jpg" in message and "too large" in message
    assert not Problem.objects.exists() and files_in(media) == []


def test_text_file_photo_message_names_the_file(as_persona, personas):
    response = as_persona("resident").post(report_url(personas), valid_data(photos=[_text_file()]))
    [message] = response.context["form"].errors["photos"]
    assert message == (
        "“vakantie.jpg” is not a photo we can use. Choose a JPEG, PNG or WebP photo."
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"reported_by": "999999"},
        {"reported_by": "outsider"},
        {"reported_by": "pending_resident"},
        {"reported_by": "paper_resident", "reported_for": "Buurman Henk"},
        {"reported_for": "x" * 121},
    ],
    ids=["unknown", "other neighbourhood", "pending", "both", "long name"],
)
def test_bad_on_behalf_input_saves_nothing(as_persona, personas, media, changes):
    data = dict(changes)
    if data.get("reported_by") in ("outsider", "pending_resident", "paper_resident"):
        data["reported_by"] = personas.by_name(data["reported_by"]).pk
    response = as_persona("chair").post(report_url(personas), valid_data(**data))
    assert response.status_code == 200
    field = "reported_by" if "reported_for" not in changes else "reported_for"
    assert field in response.context["form"].errors
    assert not Problem.objects.exists() and files_in(media) == []


def test_form_comes_back_with_what_was_typed(as_persona, personas):
    response = as_persona("resident").post(
        report_url(personas), valid_data(street="", since="al jaren")
    )
    page = response.content.decode()
    assert 'value="Afval naast de glasbak"' in page and 'value="al jaren"' in page
    assert "Give the street where it happens." in page
