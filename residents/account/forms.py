"""Forms for a person's own details."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from allauth.account.forms import RequestLoginCodeForm
from django import forms
from django.utils.translation import gettext_lazy as _

from residents.fields import PostcodeField
from residents.models import TOPICS_ON_BY_DEFAULT, MailTopic, Neighbourhood, User
from residents.services import house_number_value

REMINDER_CHOICES = [
    ("always", _("Before every meeting")),
    ("coming", _("Only when I said I am coming")),
    ("never", _("Never")),
]
TOPIC_HINTS = {
    MailTopic.AGENDA: _("With a link to vote on the priorities."),
    MailTopic.DIGEST: _("The progress on the problems and actions of your neighbourhood."),
    MailTopic.PROBLEM_STATUS: _("When a problem you follow gets a new status."),
}


def _mail_field(hood: Neighbourhood, topic: str) -> str:
    return f"mail_{hood.pk}_{topic}"


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
    postcode = PostcodeField(
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

    def __init__(
        self, *args: Any, neighbourhoods: Sequence[Neighbourhood] = (), **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        # Which mail, per neighbourhood the person belongs to: a switch per kind, and three
        # answers for the reminder (its default depends on whether they said they come).
        self.mail_groups: list[tuple[Neighbourhood, list[str]]] = []
        for hood in neighbourhoods:
            names = []
            for topic in MailTopic:
                name = _mail_field(hood, topic)
                if topic == MailTopic.MEETING_REMINDER:
                    self.fields[name] = forms.ChoiceField(
                        label=_("A reminder the day before a meeting"),
                        choices=REMINDER_CHOICES,
                        widget=forms.RadioSelect,
                        required=False,
                        error_messages={"invalid_choice": _("Choose when you want a reminder.")},
                    )
                else:
                    self.fields[name] = forms.BooleanField(
                        label=topic.label, required=False, help_text=TOPIC_HINTS.get(topic, "")
                    )
                names.append(name)
            self.mail_groups.append((hood, names))

    @classmethod
    def initial_for(
        cls,
        user: User,
        neighbourhoods: Sequence[Neighbourhood] = (),
        preferences: dict[tuple[int, str], bool] | None = None,
    ) -> dict[str, Any]:
        initial: dict[str, Any] = {field: getattr(user, field) for field in cls.base_fields}
        preferences = preferences or {}
        for hood in neighbourhoods:
            for topic in MailTopic:
                said = preferences.get((hood.pk, topic.value))
                name = _mail_field(hood, topic)
                if topic == MailTopic.MEETING_REMINDER:
                    initial[name] = {True: "always", False: "never", None: "coming"}[said]
                else:
                    initial[name] = said if said is not None else topic in TOPICS_ON_BY_DEFAULT
        return initial

    def mail_fieldsets(self) -> list[tuple[Neighbourhood, list[forms.BoundField]]]:
        return [(hood, [self[name] for name in names]) for hood, names in self.mail_groups]

    def mail_choices(self) -> list[tuple[Neighbourhood, str, bool | None]]:
        """(neighbourhood, kind, yes / no / back to the default) for every switch on the form."""
        choices: list[tuple[Neighbourhood, str, bool | None]] = []
        # Only the neighbourhoods this form showed: a form opened before joining another
        # neighbourhood must not turn that one's mail off (its switches were not on it).
        shown = set(self.data.getlist("mail_shown")) if hasattr(self.data, "getlist") else set()
        for hood, names in self.mail_groups:
            if str(hood.pk) not in shown:
                continue
            for topic, name in zip(MailTopic, names, strict=True):
                value = self.cleaned_data[name]
                if topic == MailTopic.MEETING_REMINDER:
                    if value:
                        choices.append((hood, topic, {"always": True, "never": False}.get(value)))
                else:
                    # The default needs no row: only a choice against it is stored.
                    default = topic in TOPICS_ON_BY_DEFAULT
                    choices.append((hood, topic, None if bool(value) == default else bool(value)))
        return choices

    def profile_data(self) -> dict[str, Any]:
        """The cleaned fields that user_update_profile takes (not the mail switches)."""
        return {name: self.cleaned_data[name] for name in self.base_fields}

    def clean_display_name(self) -> str:
        value = self.cleaned_data["display_name"].strip()
        if not value:
            raise forms.ValidationError(_("Fill in your name."))
        return value

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


# allauth's forms with our labels (settings.ACCOUNT_FORMS): its texts are not ours, and its
# Dutch catalogue is informal. The pages themselves are our templates (templates/account/).
class LoginCodeRequestForm(RequestLoginCodeForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        email = self.fields["email"]
        email.label = _("E-mail address")
        email.widget.attrs.pop("placeholder", None)
        email.widget.attrs["autocomplete"] = "email"
