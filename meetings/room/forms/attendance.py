"""Forms of the attendance screen: searching members, adding one, a visiting professional
without an account, and the number of anonymous walk-ins.

They only read and check input; the views pass the cleaned values to meetings.services.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from residents.models import Membership, Neighbourhood, Organisation, User

MAX_WALK_INS = 1000
SEARCH_MAX_LENGTH = 100
WALK_INS_RANGE = _("Enter a number from 0 to 1000.")


def active_members(neighbourhood: Neighbourhood) -> QuerySet[User]:
    """People with an active membership of the neighbourhood (paper residents included)."""
    return User.objects.filter(
        is_active=True,
        memberships__neighbourhood=neighbourhood,
        memberships__status=Membership.Status.ACTIVE,
    ).distinct()


class MemberSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search a member by name"),
        help_text=_("Type a part of the name, for example the first or the last name."),
        max_length=SEARCH_MAX_LENGTH,
        required=False,
        strip=True,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )

    def __init__(self, *args: Any, search_url: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if search_url:
            # While a name is typed, the results show under the field (htmx, debounced).
            self.fields["q"].widget.attrs.update(
                {
                    "data-hx-get": search_url,
                    "data-hx-trigger": "input changed delay:300ms, search",
                    "data-hx-target": "#attendance-results",
                    "data-hx-swap": "outerHTML",
                    "data-hx-sync": "this:replace",
                    "aria-controls": "attendance-results",
                }
            )

    def words(self) -> list[str]:
        if not self.is_valid():
            return []
        return str(self.cleaned_data["q"]).split()[:5]


class MemberAddForm(forms.Form):
    """One active member of this neighbourhood: an outsider's id is not a valid choice."""

    person = forms.ModelChoiceField(
        queryset=User.objects.none(),
        error_messages={
            "invalid_choice": _("That person is not an active member of this neighbourhood."),
            "required": _("Choose the person who is there."),
        },
    )

    def __init__(self, *args: Any, neighbourhood: Neighbourhood, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["person"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = active_members(neighbourhood)


class GuestForm(forms.Form):
    """A visiting professional without an account: a name and an organisation."""

    name = forms.CharField(
        label=_("Name"),
        max_length=120,
        error_messages={"required": _("Enter the name of the visitor.")},
    )
    organisation = forms.ModelChoiceField(
        label=_("Organisation"),
        queryset=Organisation.objects.order_by("name"),
        empty_label=_("Choose an organisation"),
        error_messages={
            "required": _("Choose the organisation the visitor works for."),
            "invalid_choice": _("Choose the organisation the visitor works for."),
        },
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_guest_%s")
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["autocomplete"] = "off"


class WalkInsForm(forms.Form):
    """The number of anonymous walk-ins: a number typed in, or one up or down from `shown`
    (the number the screen showed, so a double click or a repeated POST counts once)."""

    walk_ins = forms.IntegerField(
        label=_("Number of anonymous walk-ins"),
        help_text=_("People who were there but did not give their name."),
        error_messages={"invalid": WALK_INS_RANGE, "required": WALK_INS_RANGE},
        widget=forms.NumberInput(attrs={"min": 0, "max": MAX_WALK_INS, "inputmode": "numeric"}),
    )
    step = forms.TypedChoiceField(
        choices=[("1", "+1"), ("-1", "-1")], coerce=int, required=False, empty_value=None
    )
    shown = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_walk_ins_%s")
        super().__init__(*args, **kwargs)
        if self.data.get("step"):  # one more or one fewer: nothing is typed
            self.fields["walk_ins"].required = False

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        step, shown, typed = data.get("step"), data.get("shown"), data.get("walk_ins")
        if step is not None:
            if shown is None:
                raise forms.ValidationError(WALK_INS_RANGE)
            count = shown + step
            # One below zero or above the maximum: stay at the edge, no error.
            data["count"] = min(max(count, 0), MAX_WALK_INS)
            return data
        if typed is None or not 0 <= typed <= MAX_WALK_INS:
            self.add_error("walk_ins", WALK_INS_RANGE)
        else:
            data["count"] = typed
        return data
