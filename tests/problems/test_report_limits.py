"""How often someone may report: 5 an hour and 20 a day each; reports entered for someone else
count against the person entering them, 60 an hour. A refused report saves nothing at all."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine

from problems.models import Follow, Photo, Problem, TimelineEntry
from tests.support import files_in, photo, report_url, valid_data

TEN_AM = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def media(settings, tmp_path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def clock():
    with time_machine.travel(TEN_AM, tick=False) as traveller:
        yield traveller


def report(client, personas, **changes) -> int:
    return client.post(report_url(personas), valid_data(**changes)).status_code


def test_five_reports_an_hour_then_the_429_page(clock, login, personas):
    client = login(personas.resident)
    assert [report(client, personas) for _ in range(5)] == [302] * 5
    refused = client.post(report_url(personas), valid_data())
    assert refused.status_code == 429
    assert refused["Retry-After"] == "3600"
    assert Problem.objects.count() == 5
    # The form itself says so too, before anything is typed in vain.
    page = client.get(report_url(personas))
    assert page.status_code == 429 and page["Retry-After"] == "3600"
    # Someone else reports as usual.
    assert report(login(personas.second_resident), personas) == 302
    clock.shift(timedelta(minutes=59))
    assert report(login(personas.resident), personas) == 429
    clock.shift(timedelta(minutes=1))
    assert report(client, personas) == 302
    assert client.get(report_url(personas)).status_code == 200


def test_twenty_reports_a_day(login, personas):
    with time_machine.travel(datetime(2026, 3, 2, 6, 0, tzinfo=UTC), tick=False) as clock:
        client = login(personas.resident)
        for _hour in range(4):
            assert [report(client, personas) for _ in range(5)] == [302] * 5
            clock.shift(timedelta(hours=1))
        # 10:00, a fresh hour, but the day is full: until midnight (UTC), 14 hours.
        refused = client.post(report_url(personas), valid_data())
        assert refused.status_code == 429
        assert refused["Retry-After"] == str(14 * 60 * 60)
        assert Problem.objects.count() == 20
        clock.move_to(datetime(2026, 3, 3, 0, 0, tzinfo=UTC))
        assert report(client, personas) == 302


def test_a_form_with_mistakes_counts_for_nothing(clock, login, personas):
    client = login(personas.resident)
    assert [report(client, personas, title="") for _ in range(6)] == [200] * 6
    assert [report(client, personas) for _ in range(5)] == [302] * 5


def test_a_refused_report_saves_nothing_and_writes_no_photo(clock, login, personas, media):
    client = login(personas.resident)
    for _ in range(5):
        report(client, personas)
    before = (Problem.objects.count(), TimelineEntry.objects.count(), Follow.objects.count())
    response = client.post(
        report_url(personas),
        {**valid_data(title="Nog een melding"), "photos": [photo(), photo(name="twee.jpg")]},
    )
    assert response.status_code == 429
    assert (Problem.objects.count(), TimelineEntry.objects.count(), Follow.objects.count()) == (
        before
    )
    assert not Problem.objects.filter(title="Nog een melding").exists()
    assert not Photo.objects.exists()
    assert files_in(media) == []


def test_reports_entered_for_others_count_against_the_person_entering_them(clock, login, personas):
    office = login(personas.office)
    for n in range(30):
        assert report(office, personas, reported_by=personas.resident.pk) == 302
        assert report(office, personas, reported_for=f"Buurman {n}") == 302
    assert report(office, personas, reported_by=personas.paper_resident.pk) == 429
    assert Problem.objects.filter(entered_by=personas.office).count() == 60
    # The office's own reports are counted on their own; the form still opens for them.
    assert office.get(report_url(personas)).status_code == 200
    assert report(office, personas) == 302
    # The resident the office entered 30 reports for has not reported anything.
    resident = login(personas.resident)
    assert [report(resident, personas) for _ in range(5)] == [302] * 5
    assert Problem.objects.count() == 66


def test_the_form_is_refused_only_when_every_way_to_report_is_full(clock, login, personas):
    office = login(personas.office)
    for _ in range(5):
        report(office, personas)
    assert office.get(report_url(personas)).status_code == 200  # may still enter for others
    for _ in range(60):
        report(office, personas, reported_for="Buurvrouw Els")
    page = office.get(report_url(personas))
    assert page.status_code == 429
    assert page["Retry-After"] == "3600"


def test_the_429_page_is_dutch_in_the_sites_layout(login, personas):
    with time_machine.travel(TEN_AM + timedelta(minutes=20), tick=False):
        client = login(personas.resident)
        for _ in range(5):
            report(client, personas)
        refused = client.post(report_url(personas), valid_data(title="Kapotte bank bij de vijver"))
        response = client.get(report_url(personas))
    # The refused report comes back as typed, with the reason on top: nothing is lost.
    form = refused.content.decode().replace("\xa0", " ")
    assert refused.status_code == 429 and refused["Retry-After"] == str(40 * 60)
    assert 'value="Kapotte bank bij de vijver"' in form
    assert (
        "U heeft veel meldingen kort na elkaar gestuurd. Probeer het over 40 minuten opnieuw."
        in form
    )
    # Opening the form again says so at once, before anything is typed.
    page = response.content.decode().replace("\xa0", " ")
    assert response.status_code == 429
    assert response["Retry-After"] == str(40 * 60)
    assert '<html lang="nl">' in page
    assert "<title>Te vaak geprobeerd – buurtoverleg</title>" in page
    assert 'class="site-header"' in page and '<main id="main"' in page
    assert "U heeft dit te vaak geprobeerd. Probeer het over 40 minuten opnieuw." in page


def test_the_429_page_in_english(login, personas, english_pages):
    with time_machine.travel(TEN_AM + timedelta(minutes=20), tick=False):
        client = login(personas.resident)
        for _ in range(5):
            report(client, personas)
        refused = client.post(report_url(personas), valid_data())
        response = client.get(report_url(personas))
    assert "You have sent many reports in a short time. Try again in 40 minutes." in (
        refused.content.decode().replace("\xa0", " ")
    )
    page = response.content.decode().replace("\xa0", " ")
    assert response.status_code == 429
    assert '<html lang="en">' in page
    assert '<main id="main"' in page
    assert "You have tried this too often. Try again in 40 minutes." in page
