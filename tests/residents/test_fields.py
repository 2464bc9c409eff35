"""PostcodeField: the one place a typed postcode is checked and normalised."""

from __future__ import annotations

import pytest
from django import forms
from django.utils import translation

from residents.fields import PostcodeField
from residents.forms import JoinForm
from residents.members.forms import PaperResidentForm


class RequiredPostcode(forms.Form):
    postcode = PostcodeField(error_messages={"required": "Fill in your postcode."})


class OptionalPostcode(forms.Form):
    postcode = PostcodeField(required=False)


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("3527 AB", "3527AB"),
        ("3527AB", "3527AB"),
        ("3527 ab", "3527AB"),
        ("3527ab", "3527AB"),
        ("  3527 aB ", "3527AB"),
        ("3527", "3527"),  # a four-digit area, as in a PC4 member list
    ],
)
def test_a_postcode_is_stored_without_space_in_capitals(typed, stored):
    form = RequiredPostcode({"postcode": typed})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["postcode"] == stored


@pytest.mark.parametrize("typed", ["ABC", "0123 AB", "35270AB", "3527 A", "3527 A1", "12345"])
def test_anything_else_is_refused_with_the_dutch_explanation(typed):
    with translation.override("nl"):
        form = RequiredPostcode({"postcode": typed})
        assert not form.is_valid()
        assert form.errors.as_data()["postcode"][0].code == "invalid"
        assert form.errors["postcode"] == [
            "Vul een geldige postcode in: vier cijfers en twee letters, zoals 1234 AB."
        ]


def test_the_length_is_checked_on_what_was_typed():
    form = RequiredPostcode({"postcode": "3527   AB"})
    assert not form.is_valid()
    assert form.errors.as_data()["postcode"][0].code == "max_length"


def test_a_required_postcode_keeps_its_own_message_and_an_optional_one_may_stay_empty():
    form = RequiredPostcode({"postcode": "  "})
    assert not form.is_valid()
    assert form.errors["postcode"] == ["Fill in your postcode."]
    optional = OptionalPostcode({"postcode": "  "})
    assert optional.is_valid()
    assert optional.cleaned_data["postcode"] == ""


def test_the_field_keeps_the_label_and_the_browsers_length_limit():
    html = str(RequiredPostcode()["postcode"].label_tag()) + str(RequiredPostcode()["postcode"])
    assert "Postcode" in html
    assert 'maxlength="7"' in html


def test_the_join_and_paper_resident_forms_use_it(personas):
    data = {"postcode": "3527 ab", "house_number": "3", "name": "Jan"}
    for form in (
        JoinForm(data, neighbourhood=personas.hood),
        PaperResidentForm(data, neighbourhood=personas.hood),
    ):
        assert isinstance(form.fields["postcode"], PostcodeField)
        assert form.is_valid(), form.errors
        assert form.cleaned_data["postcode"] == "3527AB"
