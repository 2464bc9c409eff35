"""The map on the report form: its tile server is a setting, allowed by the CSP, and the
page itself fetches nothing from elsewhere (the browser side is in tests/e2e/test_report_map.py).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.urls import reverse

PDOK_TILES = (
    "https://service.pdok.nl/brt/achtergrondkaart/wmts/v2_0/standaard/EPSG:3857/{z}/{x}/{y}.png"
)
BASE_DIR = Path(django_settings.BASE_DIR)


def report_page(as_persona, personas) -> str:
    response = as_persona("resident").get(
        reverse("report:problem_report", args=[personas.hood.slug])
    )
    assert response.status_code == 200
    return response.content.decode()


def img_src(csp: str) -> list[str]:
    directives = dict(
        ([*part.strip().split(" ", 1), ""])[:2] for part in csp.split(";") if part.strip()
    )
    return directives["img-src"].split()


def map_field(page: str) -> str:
    start = page.index('<div class="field report-map"')
    return page[start : page.index("</div>\n", page.index('id="report-map-clear"', start))]


def settings_in_a_new_process(**env: str) -> subprocess.CompletedProcess[str]:
    """Import the settings as the app does at start, with these environment variables."""
    environment = {**os.environ, "SECRET_KEY": "x", "DEBUG": "0", **env}
    code = (
        "from buurtoverleg import settings; "
        "print(' '.join(map(str, settings.SECURE_CSP['img-src'])))"
    )
    return subprocess.run(  # noqa: S603 (fixed arguments)
        [sys.executable, "-c", code],
        cwd=BASE_DIR,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_default_tile_server_is_pdok_and_the_csp_allows_only_its_origin(as_persona, personas):
    assert django_settings.MAP_TILE_URL == PDOK_TILES
    response = as_persona("resident").get(
        reverse("report:problem_report", args=[personas.hood.slug])
    )
    page = response.content.decode()
    assert f'data-tile-url="{PDOK_TILES}"' in map_field(page)
    # Images: this site, data: URLs (Leaflet's CSS) and the tile server, nothing else.
    assert img_src(response["Content-Security-Policy"]) == [
        "'self'",
        "data:",
        "https://service.pdok.nl",
    ]


def test_map_is_hidden_until_the_script_shows_it_and_has_its_labels(as_persona, personas):
    field = map_field(report_page(as_persona, personas))
    assert re.search(r'<div class="field report-map" id="report-map-field" hidden\b', field)
    assert 'role="application"' in field
    assert 'aria-labelledby="report-map-label"' in field
    assert "Optional: tap the map where it is" in field
    assert ">Clear the point</button>" in field
    assert 'data-center="52.15,5.3" data-zoom="7"' in field


def test_page_loads_leaflet_and_marker_images_from_this_site_only(as_persona, personas):
    page = report_page(as_persona, personas)
    for src in ["vendor/leaflet/leaflet.js", "js/report-map.js"]:
        assert f'<script src="/static/{src}" defer></script>' in page
    assert '<link rel="stylesheet" href="/static/vendor/leaflet/leaflet.css">' in page
    assert 'data-icon-url="/static/vendor/leaflet/images/marker-icon.png"' in page
    # The tile server is named once, as the map's setting; no script, style or image uses it.
    assert page.count("service.pdok.nl") == 1
    assert not re.search(r'\bsrc="(https?:)?//', page)
    assert not re.search(r'<link[^>]*\bhref="(https?:)?//', page)
    for name in ["leaflet.js", "leaflet.css", "LICENSE", "images/marker-icon.png"]:
        assert (BASE_DIR / "static" / "vendor" / "leaflet" / name).is_file()


@pytest.mark.parametrize(
    "tile_url",
    ["https://tiles.example.nl/{z}/{x}/{y}.png", "http://127.0.0.1:8081/tiles/{z}/{x}/{y}.png"],
)
def test_tile_url_setting_changes_the_map(as_persona, personas, settings, tile_url):
    settings.MAP_TILE_URL = tile_url
    settings.MAP_TILE_ATTRIBUTION = "© <b>Tegels</b>"
    field = map_field(report_page(as_persona, personas))
    assert f'data-tile-url="{tile_url}"' in field
    assert "service.pdok.nl" not in field
    assert 'data-attribution="© &lt;b&gt;Tegels&lt;/b&gt;"' in field


@pytest.mark.parametrize(
    ("tile_url", "origin"),
    [
        (PDOK_TILES, "https://service.pdok.nl"),
        (
            "https://tiles.example.nl:8443/wmts/{z}/{x}/{y}.png?key=1",
            "https://tiles.example.nl:8443",
        ),
        ("http://localhost:8081/{z}/{x}/{y}.png", "http://localhost:8081"),
    ],
)
def test_csp_img_src_follows_the_tile_url_setting(tile_url, origin):
    """SECURE_CSP is built when the settings are imported: check that in a fresh process."""
    result = settings_in_a_new_process(MAP_TILE_URL=tile_url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["'self'", "data:", origin]


@pytest.mark.parametrize("tile_url", ["tiles.example.nl/{z}/{x}/{y}.png", "ftp://x/{z}.png"])
def test_tile_url_must_be_a_web_address(tile_url):
    result = settings_in_a_new_process(MAP_TILE_URL=tile_url)
    assert result.returncode != 0
    assert "MAP_TILE_URL must be an http(s) address" in result.stderr


def test_form_shown_again_keeps_the_point_for_the_map(as_persona, personas):
    url = reverse("report:problem_report", args=[personas.hood.slug])
    response = as_persona("resident").post(
        url, {"title": "Afval", "latitude": "52.091234", "longitude": "5.121234"}
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert 'name="latitude" value="52.091234"' in page
    assert 'name="longitude" value="5.121234"' in page


def test_leaflet_survives_collectstatic_with_hashed_names(settings, tmp_path):
    """Production serves hashed names: Leaflet's CSS images and source map must resolve."""
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    css = next((tmp_path / "static" / "vendor" / "leaflet").glob("leaflet.*.css")).read_text()
    assert re.search(r"url\(\"?images/layers\.[0-9a-f]{12}\.png", css)
    assert (tmp_path / "static" / "js" / "report-map.js").is_file()
