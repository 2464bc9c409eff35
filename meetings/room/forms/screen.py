"""Forms of the chair's agenda screen: saving notes or a decision, moving between items, and
who chairs and takes the minutes next time."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from meetings.planning.models import AgendaItem, Meeting
from meetings.services import TEXT_FIELDS
from residents.models import Membership, Neighbourhood, User

# Far more than an evening's notes; a limit keeps a runaway paste out of the database.
TEXT_MAX_LENGTH = 50_000


class ItemTextForm(forms.Form):
    """One save of the notes or the decision of an item, with the version it was based on."""

    field = forms.ChoiceField(
        choices=[(name, name) for name in TEXT_FIELDS],
        error_messages={
            "required": _("It is not clear which text to save. Reload the page."),
            "invalid_choice": _("It is not clear which text to save. Reload the page."),
        },
    )
    # Not stripped: what was typed is what is saved (a retry must match it exactly).
    text = forms.CharField(
        label=_("Text"),
        required=False,
        strip=False,
        max_length=TEXT_MAX_LENGTH,
        error_messages={
            "max_length": _("The text is too long: at most %(limit_value)d characters.")
        },
    )
    version = forms.IntegerField(
        min_value=0,
        error_messages={
            "required": _("The page is out of date. Reload it; your text is kept."),
            "invalid": _("The page is out of date. Reload it; your text is kept."),
            "min_value": _("The page is out of date. Reload it; your text is kept."),
        },
    )
    # Set by the merge form after a conflict: the answer is the whole field again.
    merge = forms.BooleanField(required=False)

    def clean_text(self) -> str:
        # Browsers send line breaks as CRLF; keep one form so a retry compares equal.
        return str(self.cleaned_data["text"]).replace("\r\n", "\n").replace("\r", "\n")


def seen_item(data: Any) -> int | None:
    """The current item the chair's screen showed (the `seen` field), or None."""
    try:
        value = int(data.get("seen", ""))
    except (TypeError, ValueError):
        return None
    return value if value > 0 else None


class GoToForm(forms.Form):
    """Make a chosen item of this meeting the current one."""

    item = forms.ModelChoiceField(
        queryset=AgendaItem.objects.none(),
        label=_("Agenda item"),
        error_messages={
            "required": _("Choose an agenda item."),
            "invalid_choice": _("That item is not on this agenda (any more). Reload the page."),
        },
    )

    def __init__(self, *args: Any, meeting: Meeting, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["item"].queryset = AgendaItem.objects.filter(meeting=meeting)  # type: ignore[attr-defined]


class NextRolesForm(forms.Form):
    """Who chairs and who takes the minutes at the next meeting (agreed at the closing)."""

    chair = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        label=_("Chair next time"),
        empty_label=_("Not chosen yet"),
        error_messages={"invalid_choice": _("Choose a member of this neighbourhood.")},
    )
    minute_taker = forms.ModelChoiceField(
        queryset=User.objects.none(),
        required=False,
        label=_("Minute-taker next time"),
        empty_label=_("Not chosen yet"),
        error_messages={"invalid_choice": _("Choose a member of this neighbourhood.")},
    )

    def __init__(self, *args: Any, neighbourhood: Neighbourhood, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "next-%s")  # ids unique on the screen
        super().__init__(*args, **kwargs)
        members = (
            User.objects.filter(
                pk__in=Membership.objects.active()
                .filter(neighbourhood=neighbourhood)
                .values("user_id")
            )
            .only("display_name")
            .order_by("display_name", "pk")
        )
        for name in ("chair", "minute_taker"):
            self.fields[name].queryset = members  # type: ignore[attr-defined]
