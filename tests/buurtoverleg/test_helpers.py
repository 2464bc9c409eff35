"""The project's own helpers: QR codes, form errors and the htmx-or-redirect answer."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote
from xml.etree import ElementTree

import pytest
import segno
from django import forms
from django.contrib import messages
from django.contrib.messages.storage.cookie import CookieStorage
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.utils import translation
from django_htmx.middleware import HtmxDetails

from buurtoverleg.forms import add_service_errors, first_error
from buurtoverleg.htmx import partial_or_redirect
from buurtoverleg.http import HtmxHttpRequest
from buurtoverleg.qr import qr_data_uri

SVG_PREFIX = "data:image/svg+xml;charset=utf-8,"
BORDER = 2


# --- QR codes -----------------------------------------------------------------------------------


def _svg(uri: str) -> ElementTree.Element:
    assert uri.startswith(SVG_PREFIX)
    svg = unquote(uri.removeprefix(SVG_PREFIX))
    return ElementTree.fromstring(svg)  # noqa: S314 - written by segno, here


def _dark_modules(svg: ElementTree.Element) -> set[tuple[int, int]]:
    """The dark modules the SVG draws, as (row, column) inside the quiet zone."""
    (path,) = svg.iter("{http://www.w3.org/2000/svg}path")
    x = y = 0.0
    dark: set[tuple[int, int]] = set()
    for command, args in re.findall(r"([A-Za-z])([^A-Za-z]*)", path.attrib["d"]):
        numbers = [float(n) for n in args.split()]
        if command == "M":
            x, y = numbers
        elif command == "m":
            x, y = x + numbers[0], y + numbers[1]
        elif command == "h":
            dark.update((int(y) - BORDER, int(x) + i - BORDER) for i in range(int(numbers[0])))
            x += numbers[0]
        else:
            pytest.fail(f"unexpected path command {command!r}")
    return dark


def _expected_modules(url: str) -> set[tuple[int, int]]:
    matrix = segno.make(url, error="m", micro=False).matrix
    return {(r, c) for r, row in enumerate(matrix) for c, bit in enumerate(row) if bit}


def test_qr_data_uri_is_an_svg_that_draws_the_code_of_the_url() -> None:
    url = "https://buurtoverleg.example/b/rivierenbuurt/stem/42/"
    svg = _svg(qr_data_uri(url))

    size = len(segno.make(url, error="m", micro=False).matrix) + 2 * BORDER
    assert svg.attrib["viewBox"] == f"0 0 {size} {size}"
    assert "width" not in svg.attrib  # no fixed size: the template's CSS decides
    assert _dark_modules(svg) == _expected_modules(url)


def test_qr_data_uri_differs_per_url_and_is_never_a_micro_code() -> None:
    short, other = _svg(qr_data_uri("a")), _svg(qr_data_uri("b"))
    assert _dark_modules(short) != _dark_modules(other)
    # A micro QR code (11+ modules) is not read by every phone: a full code is 21+ modules.
    assert short.attrib["viewBox"] == f"0 0 {21 + 2 * BORDER} {21 + 2 * BORDER}"


# --- Form errors ----------------------------------------------------------------------------------


class NoteForm(forms.Form):
    title = forms.CharField(label="Title", max_length=5)
    note = forms.CharField(label="Note", required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("note") == "clash":
            raise ValidationError("Title and note clash.")
        return data


def test_first_error_is_the_message_of_a_field_without_its_label() -> None:
    form = NoteForm({"title": "far too long"})
    assert not form.is_valid()
    text = first_error(form)
    assert text == str(form.errors["title"][0])
    assert "5" in text and not text.startswith("Title")


def test_first_error_takes_a_field_error_before_the_forms_own() -> None:
    form = NoteForm({"title": "far too long", "note": "clash"})
    assert not form.is_valid()
    assert form.non_field_errors() == ["Title and note clash."]
    assert first_error(form) == str(form.errors["title"][0])


def test_first_error_gives_a_non_field_error_alone() -> None:
    form = NoteForm({"title": "ok", "note": "clash"})
    assert not form.is_valid()
    assert first_error(form) == "Title and note clash."


def test_first_error_of_a_form_without_errors_is_a_general_line() -> None:
    form = NoteForm({"title": "ok"})
    assert form.is_valid()
    with translation.override("en"):
        assert first_error(form) == "Something was not filled in correctly."
    with translation.override("nl"):
        assert first_error(form) not in ("", "Something was not filled in correctly.")


def test_add_service_errors_puts_each_message_at_its_field_or_on_top() -> None:
    form = NoteForm({"title": "ok"})
    assert form.is_valid()
    add_service_errors(
        form, ValidationError({"title": ["Taken.", "Too late."], "elsewhere": "Not yours."})
    )
    assert form.errors["title"] == ["Taken.", "Too late."]
    assert form.non_field_errors() == ["Not yours."]


def test_add_service_errors_puts_a_plain_refusal_on_top() -> None:
    form = NoteForm({"title": "ok"})
    assert form.is_valid()
    add_service_errors(form, ValidationError(["The meeting was cancelled.", "Try again."]))
    assert form.non_field_errors() == ["The meeting was cancelled.", "Try again."]
    assert "title" not in form.errors


# --- htmx or redirect -----------------------------------------------------------------------------


def _request(*, htmx: bool) -> HtmxHttpRequest:
    headers = {"HX-Request": "true"} if htmx else {}
    request: Any = RequestFactory().post("/somewhere/", headers=headers)
    request.htmx = HtmxDetails(request)
    request._messages = CookieStorage(request)
    result: HtmxHttpRequest = request
    return result


def _notices(request: HttpRequest) -> list[tuple[int, str]]:
    return [(m.level, m.message) for m in messages.get_messages(request)]


def test_htmx_gets_the_partial_and_no_message() -> None:
    request = _request(htmx=True)

    def address() -> str:
        pytest.fail("an htmx answer must not work out the redirect")

    response = partial_or_redirect(request, lambda: HttpResponse("part"), address, "Saved.")
    assert response.status_code == 200
    assert response.content == b"part"
    assert _notices(request) == []


def test_without_htmx_the_notice_becomes_a_message_and_the_browser_goes_back() -> None:
    request = _request(htmx=False)

    def partial() -> HttpResponse:
        pytest.fail("a plain request must not render the partial")

    response = partial_or_redirect(request, partial, "/back/#item", "Refused.", messages.ERROR)
    assert response.status_code == 302
    assert response["Location"] == "/back/#item"
    assert _notices(request) == [(messages.ERROR, "Refused.")]


def test_without_htmx_an_address_function_is_called_and_no_notice_adds_no_message() -> None:
    request = _request(htmx=False)
    response = partial_or_redirect(request, lambda: HttpResponse("part"), lambda: "/screen/")
    assert response["Location"] == "/screen/"
    assert _notices(request) == []
