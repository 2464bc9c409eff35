"""The map on the report form, in a real browser: a resident sets a point by tapping the map
(or with the keyboard), and no request ever leaves this machine: every request to another host
is caught by the test, which serves tiles itself and refuses anything else.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from decimal import Decimal
from urllib.parse import urlsplit

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils.csp import CSP
from PIL import Image
from playwright.sync_api import Page, Route, expect
from pytest_django.live_server_helper import LiveServer

from problems.models import Problem
from tests.conftest import Personas
from tests.e2e.support import check_accessibility, log_in

TEST_TILES = "https://tiles.invalid/{z}/{x}/{y}.png"
PDOK_HOST = "service.pdok.nl"
SIX_DECIMALS = re.compile(r"^\d{1,2}\.\d{6}$")


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (1, 1), "lightgreen").save(out, "PNG")
    return out.getvalue()


@dataclass
class Elsewhere:
    """Every request the page makes to a host other than the live server."""

    served: list[str] = field(default_factory=list)  # tiles, answered by the test itself
    refused: list[str] = field(default_factory=list)

    @property
    def hosts(self) -> set[str | None]:
        return {urlsplit(url).hostname for url in self.served + self.refused}


@pytest.fixture
def elsewhere(page: Page, live_server: LiveServer) -> Elsewhere:
    caught = Elsewhere()
    here = urlsplit(live_server.url).netloc
    tile = png()

    def handle(route: Route) -> None:
        url = route.request.url
        if urlsplit(url).netloc == here or url.startswith("data:"):
            route.continue_()
        elif urlsplit(url).hostname == urlsplit(django_settings.MAP_TILE_URL).hostname:
            caught.served.append(url)
            route.fulfill(body=tile, content_type="image/png")
        else:
            caught.refused.append(url)
            route.abort()

    page.route("**/*", handle)
    return caught


@pytest.fixture
def test_tiles(settings) -> None:
    """Tiles from a host under the test's control (the CSP is built at start, so follow it)."""
    settings.MAP_TILE_URL = TEST_TILES
    settings.SECURE_CSP = {
        **settings.SECURE_CSP,
        "img-src": [CSP.SELF, "data:", "https://tiles.invalid"],
    }


def open_report_form(page: Page, personas: Personas) -> None:
    page.goto(personas.hood.get_absolute_url())
    log_in(page, personas.resident.email)
    page.goto(reverse("report:problem_report", args=[personas.hood.slug]))
    expect(page.locator(".leaflet-tile-loaded").first).to_be_attached()


@pytest.mark.usefixtures("test_tiles")
def test_resident_sets_a_point_on_the_map(
    page: Page, personas: Personas, elsewhere: Elsewhere
) -> None:
    open_report_form(page, personas)
    the_map = page.get_by_role("application")
    latitude, longitude = page.locator("#id_latitude"), page.locator("#id_longitude")
    expect(the_map).to_be_visible()
    expect(page.locator("#report-map-label")).to_be_visible()
    expect(page.locator("#report-map-help")).to_be_visible()
    expect(latitude).to_have_value("")
    check_accessibility(page)

    # With the keyboard: Enter puts the point in the middle of the map (the Netherlands).
    the_map.focus()
    page.keyboard.press("Enter")
    expect(latitude).to_have_value(SIX_DECIMALS)
    expect(page.locator(".leaflet-marker-icon")).to_be_visible()
    assert abs(float(latitude.input_value()) - 52.15) < 0.01
    assert abs(float(longitude.input_value()) - 5.3) < 0.01

    # Clear it, then tap somewhere else on the map.
    page.locator("#report-map-clear").click()
    expect(latitude).to_have_value("")
    expect(longitude).to_have_value("")
    expect(page.locator(".leaflet-marker-icon")).to_have_count(0)
    box = the_map.bounding_box()
    assert box
    the_map.click(position={"x": box["width"] * 0.6, "y": box["height"] * 0.4})
    expect(latitude).to_have_value(SIX_DECIMALS)
    expect(longitude).to_have_value(SIX_DECIMALS)
    expect(page.locator(".leaflet-marker-icon")).to_be_visible()
    chosen = Decimal(latitude.input_value()), Decimal(longitude.input_value())
    assert chosen[0] > Decimal("52.15") and chosen[1] > Decimal("5.3")
    check_accessibility(page)

    # Forgetting the street: the form comes back with the point, zoomed in on it.
    page.get_by_label("Titel").fill("Losliggende stoeptegels")
    page.get_by_label("Overig").check()
    page.get_by_label("Wat is het probleem?").fill("Mensen struikelen over de tegels.")
    page.get_by_role("button", name="Melding versturen").click()
    expect(page.get_by_role("alert")).to_contain_text("Vul de straat in waar het gebeurt.")
    expect(latitude).to_have_value(str(chosen[0]))
    expect(longitude).to_have_value(str(chosen[1]))
    expect(page.locator(".leaflet-marker-icon")).to_be_visible()
    expect(page.locator(".leaflet-tile-loaded").first).to_be_attached()
    check_accessibility(page)

    page.get_by_label("Straat").fill("Marshallaan")
    page.get_by_role("button", name="Melding versturen").click()
    expect(page.get_by_role("status")).to_contain_text("Het buurtteam bekijkt hem eerst")
    problem = Problem.objects.get(title="Losliggende stoeptegels")
    assert (problem.latitude, problem.longitude) == chosen

    # Tiles came from the configured server (answered here); nothing went anywhere else.
    assert elsewhere.served, "the map asked for no tiles"
    assert elsewhere.hosts == {"tiles.invalid"}
    assert elsewhere.refused == []


def test_default_tiles_are_pdok_and_never_fetched_for_real(
    page: Page, personas: Personas, elsewhere: Elsewhere
) -> None:
    """With the default setting the map asks PDOK for tiles (the CSP lets it), and only PDOK.
    The test answers those requests itself, so no tile is fetched."""
    open_report_form(page, personas)
    expect(page.get_by_role("application")).to_be_visible()
    assert elsewhere.served
    assert all(
        url.startswith("https://service.pdok.nl/brt/achtergrondkaart/wmts/v2_0/standaard/")
        for url in elsewhere.served
    )
    assert elsewhere.hosts == {PDOK_HOST}
    assert elsewhere.refused == []
