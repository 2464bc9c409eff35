"""Forms for a person's own details."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from residents.models import User, normalise_postcode
from residents.services import house_number_value


class ProfileForm(forms.Form):
    """Name, language, mail preferences, consent and address. Saved by user_update_profile."""

    display_name = forms.CharField(
        label=_("Your name"),
        max_length=120,
        help_text=_("Other residents see your name only if you allow it below."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": _("Fill in your name.")},
    )
    language = forms.ChoiceField(
        label=_("Language"),
        choices=User.Language.choices,
        help_text=_("The language of this website and of the e-mails we send you."),
        error_messages={"invalid_choice": _("Choose Dutch or English.")},
    )
    wants_agenda_mail = forms.BooleanField(
        label=_("Send me the agenda before every meeting"),
        required=False,
        help_text=_("With a link to vote on the priorities."),
    )
    wants_digest = forms.BooleanField(
        label=_("Send me what has changed since the last meeting"),
        required=False,
        help_text=_("The progress on the problems and actions of your neighbourhood."),
    )
    wants_meeting_reminder = forms.BooleanField(
        label=_("Remind me the day before each meeting"),
        required=False,
        help_text=_(
            "A short e-mail with the time and place. If you said you are coming, you get it anyway."
        ),
    )
    minutes_as_pdf = forms.BooleanField(
        label=_("Send me the minutes as a PDF attachment"),
        required=False,
        help_text=_("To print or keep. Without it, the e-mail has a link to the minutes."),
    )
    consent_named_in_minutes = forms.BooleanField(
        label=_("My name may appear in the minutes"),
        required=False,
        help_text=_("Without your permission the minutes only count residents and never name you."),
    )
    postcode = forms.CharField(
        label=_("Postcode"),
        max_length=7,
        required=False,
        help_text=_("For example 1234 AB. We use it only to check your neighbourhood."),
        widget=forms.TextInput(attrs={"autocomplete": "postal-code"}),
    )
    house_number = forms.CharField(
        label=_("House number"),
        max_length=10,
        required=False,
        help_text=_("With addition if you have one, for example 12a."),
        widget=forms.TextInput(attrs={"autocomplete": "address-line2"}),
    )

    @classmethod
    def initial_for(cls, user: User) -> dict[str, Any]:
        return {field: getattr(user, field) for field in cls.base_fields}

    def clean_display_name(self) -> str:
        value = self.cleaned_data["display_name"].strip()
        if not value:
            raise forms.ValidationError(_("Fill in your name."))
        return value

    def clean_postcode(self) -> str:
        value = self.cleaned_data["postcode"].strip()
        if not value:
            return ""
        try:
            return normalise_postcode(value)
        except ValueError:
            raise forms.ValidationError(
                _("Fill in a valid postcode: four digits and two letters, such as 1234 AB.")
            ) from None

    def clean_house_number(self) -> str:
        value = self.cleaned_data["house_number"].strip()
        if value and house_number_value(value) is None:
            raise forms.ValidationError(_("Fill in a house number that starts with a digit."))
        return value

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        postcode, number = cleaned.get("postcode"), cleaned.get("house_number")
        if postcode and not number and "house_number" not in self.errors:
            self.add_error("house_number", _("Fill in your house number too."))
        if number and not postcode and "postcode" not in self.errors:
            self.add_error("postcode", _("Fill in your postcode too."))
        return cleaned
