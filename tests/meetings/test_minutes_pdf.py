"""The minutes' PDFs, rendered for real by WeasyPrint and read back with pypdf.

The expected content is there (neighbourhood, date, notes, decisions, the vote split into
online, paper and hands, the actions); the planted markers (a non-consenting resident's name, a
reporter's identity, confidential details, a sensitive problem's real title) are not, in the
normal and the large-print variant; every page carries its number ("Page 1 of 3", "1 van 3");
the draft has the watermark and the final has not; the tagged PDF declares its title and
language; a 60-row table spans pages with its header repeated; large print is 16 pt or more.
"""

from __future__ import annotations

import io
import math
import re
from typing import Any

import pypdf
import pytest
from django.utils import formats, timezone, translation
from django.utils.translation import gettext

from meetings.minutes import pdf as minutes_pdf
from meetings.minutes import services
from meetings.minutes.models import MinutesVersion
from meetings.minutes.pdf import minutes_draft_pdf, minutes_html, page_counter_css
from meetings.minutes.pdf import minutes_pdf as render_pdf
from tests.factories import (
    AGREED,
    CONSENT,
    DECISION,
    FORBIDDEN,
    JUDGED,
    NOTES,
    REPORTED,
    RESOLVED,
    VISITOR,
    build_record,
)
from tests.support import stored_file

RS = MinutesVersion.RenderStatus


def pages_of(content: bytes) -> list[str]:
    """Each page's text with its lines joined (a phrase may wrap)."""
    reader = pypdf.PdfReader(io.BytesIO(content))
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def pdf_title(reader: pypdf.PdfReader) -> str:
    assert reader.metadata is not None
    return str(reader.metadata.title or "")


def font_sizes(content: bytes) -> set[float]:
    """The size every piece of text is drawn at (font size times the text and page matrices)."""
    sizes: set[float] = set()

    def visit(text: str, cm: Any, tm: Any, _font: Any, size: float) -> None:
        if text.strip():
            scale = math.hypot(tm[0], tm[1]) * math.hypot(cm[0], cm[1])
            sizes.add(round(size * scale, 1))

    for page in pypdf.PdfReader(io.BytesIO(content)).pages:
        page.extract_text(visitor_text=visit)
    return sizes


@pytest.fixture
def english(english_pages, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def dutch(settings, tmp_path):
    settings.LANGUAGE_CODE = "nl"
    settings.MEDIA_ROOT = tmp_path


def finalise(record: Any, personas: Any, capture: Any) -> MinutesVersion:
    minutes = services.minutes_draft(record.meeting, by=personas.chair)
    with capture(execute=True):
        version = services.minutes_finalise(minutes, personas.chair)
    version.refresh_from_db()
    assert version.render_status == RS.DONE, version.render_error
    return version


@pytest.fixture
def version(english, personas, django_capture_on_commit_callbacks) -> MinutesVersion:
    record = build_record(personas)
    return finalise(record, personas, django_capture_on_commit_callbacks)


def test_the_pdf_holds_the_record(version, personas):
    for large in (False, True):
        text = " ".join(pages_of(stored_file((version.pdf_large if large else version.pdf).name)))
        for expected in (
            "Kanaleneiland-Noord",
            formats.date_format(timezone.localtime(version.minutes.meeting.starts_at), "j F Y"),
            NOTES,
            DECISION,
            AGREED,
            REPORTED,
            JUDGED,
            RESOLVED,
            CONSENT,  # consented: named
            VISITOR,  # a visiting professional, by name
            "Politie Midden-Nederland",  # the wijkagent's organisation
            "Kees de Vries",
            "Woningcorporatie Thuisbasis",
            "Fatima el Amrani",  # the chair (of this meeting and of the next)
            "Buurthuis De Linde",
            "Sporthal Kanaleneiland",  # where the next meeting is
            "Online Paper Hands Total",  # the results split
            "Zwerfvuil bij de glasbak 3 2 – 5",
            "2 residents voted (1 online, 1 on paper)",
            "3 residents",  # counts: everyone, named or not
            "2 professionals",
            "2 visitors who did not give a name",
            "Better, continue",  # the room's judgement
            "Minute-taker a resident",  # she did not consent: no name
        ):
            assert expected in text, (large, expected)
        for marker in FORBIDDEN:
            assert marker not in text, (large, marker)


def test_every_page_has_its_number_and_the_header(version):
    day = formats.date_format(timezone.localtime(version.minutes.meeting.starts_at), "j F Y")
    for name in (version.pdf.name, version.pdf_large.name):
        pages = pages_of(stored_file(name))
        total = len(pages)
        for number, text in enumerate(pages, start=1):
            assert f"Page {number} of {total}" in text, (name, number)
            assert f"Kanaleneiland-Noord {day}" in text  # the header: neighbourhood and date
            assert "Version 1" in text
    assert len(pages_of(stored_file(version.pdf_large.name))) > 1


def test_the_draft_has_the_watermark_on_every_page_and_the_final_not(version):
    minutes = version.minutes
    for large in (False, True):
        draft = pages_of(minutes_draft_pdf(minutes, large=large))
        assert all("DRAFT" in page for page in draft), large
        final = pages_of(render_pdf(version, large=large))
        assert not any("DRAFT" in page for page in final), large


def test_the_tagged_pdf_declares_its_title_and_language(version):
    title = "Minutes of the neighbourhood meeting Kanaleneiland-Noord, "
    for name in (version.pdf.name, version.pdf_large.name):
        reader = pypdf.PdfReader(io.BytesIO(stored_file(name)))
        assert pdf_title(reader).startswith(title)
        root: Any = reader.trailer["/Root"]
        assert root["/Lang"] == "en"
        assert bool(root["/MarkInfo"]["/Marked"])  # tagged
        assert "/StructTreeRoot" in root
        assert bool(root["/ViewerPreferences"]["/DisplayDocTitle"])


def test_large_print_is_at_least_16_points(version):
    normal = font_sizes(stored_file(version.pdf.name))
    large = font_sizes(stored_file(version.pdf_large.name))
    assert min(normal) < 16  # the test can tell the difference
    assert min(large) >= 16


def test_a_long_table_breaks_cleanly_across_pages(
    english, personas, django_capture_on_commit_callbacks
):
    record = build_record(personas, residents=60)
    version = finalise(record, personas, django_capture_on_commit_callbacks)
    pages = pages_of(stored_file(version.pdf.name))
    rows = [f"Buurtgenoot {n:02d} Resident" for n in range(60)]
    with_rows = [page for page in pages if any(row in page for row in rows)]
    assert len(with_rows) >= 2, "60 rows fit on one page: the test proves nothing"
    for page in with_rows:
        assert "Name On behalf of" in page  # the header row, repeated on every page
    # Every row whole, on exactly one page.
    for row in rows:
        assert sum(page.count(row) for page in pages) == 1, row


def test_markers_stay_out_of_the_draft_pdf_too(version):
    text = " ".join(pages_of(minutes_draft_pdf(version.minutes, large=True)))
    assert NOTES in text and CONSENT in text
    for marker in FORBIDDEN:
        assert marker not in text, marker


def test_the_html_fetches_nothing_and_holds_no_scripts(version, personas):
    minutes = version.minutes
    services.minutes_edit(
        minutes=minutes,
        body='<p>Tekst</p><img src="http://127.0.0.1:9/x.png"><link rel="stylesheet" href="http://127.0.0.1:9/x.css">',
        base_version=minutes.body_version,
        by=personas.chair,
    )
    minutes.refresh_from_db()
    html = minutes_pdf.minutes_draft_html(minutes)
    assert "127.0.0.1:9" not in html
    assert "<script" not in html


# --- In Dutch ------------------------------------------------------------------------------------


def test_the_page_counter_follows_the_translated_sentence(monkeypatch):
    monkeypatch.setattr(minutes_pdf, "_", lambda s: "%(pages)s pagina's; dit is %(page)s")
    assert page_counter_css() == 'counter(pages) " pagina\'s; dit is " counter(page)'
    monkeypatch.setattr(minutes_pdf, "_", lambda s: 'p. %(page)s/%(pages)s "</style>')
    css = page_counter_css()
    assert "</style>" not in css and '"' not in css.split("counter(pages)")[1][2:-1]


def test_a_dutch_pdf_is_numbered_in_dutch(dutch, personas, django_capture_on_commit_callbacks):
    record = build_record(personas)
    version = finalise(record, personas, django_capture_on_commit_callbacks)
    assert version.language == "nl"
    with translation.override("nl"):
        sentence = gettext("Page %(page)s of %(pages)s")
        watermark = gettext("DRAFT")
    pages = pages_of(stored_file(version.pdf_large.name))
    for number, text in enumerate(pages, start=1):
        assert sentence % {"page": number, "pages": len(pages)} in text
    reader = pypdf.PdfReader(io.BytesIO(stored_file(version.pdf.name)))
    root: Any = reader.trailer["/Root"]
    assert root["/Lang"] == "nl"
    assert pdf_title(reader).startswith(
        re.split(r"%\(", gettext("Minutes of the neighbourhood meeting %(name)s, %(date)s"))[0]
    )
    draft = pages_of(minutes_draft_pdf(version.minutes))
    assert all(watermark in page for page in draft)
    if sentence != "Page %(page)s of %(pages)s":  # once the Dutch catalogue is compiled
        assert "1 van" in pages[0] and watermark == "CONCEPT"
    html = minutes_html(version)
    assert '<html lang="nl">' in html
