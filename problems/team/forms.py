"""Forms of the team's side of the register: status changes, edits, chronic, reopen requests.

They only read and check input; the views pass the cleaned values to problems.services.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.forms.models import fields_for_model
from django.utils.translation import gettext_lazy as _

from problems.models import Problem
from problems.services import CHRONIC_TESTS, EDITABLE
from problems.workflow import Move, Transition

NOTE_MAX_LENGTH = 2000  # TimelineEntry.public_note / confidential_note, ReopenRequest.note


class TransitionForm(forms.Form):
    """One status change, of a move this person may make now (the view checks that)."""

    field_order = ("move", "into", "public_note", "confidential_note")

    move = forms.ChoiceField(label=_("What happens"), widget=forms.HiddenInput)
    public_note = forms.CharField(
        label=_("Public note"),
        help_text=_("Everyone who can see the problem reads this on its timeline."),
        max_length=NOTE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    confidential_note = forms.CharField(
        label=_("Confidential note"),
        help_text=_("Only the team reads this."),
        max_length=NOTE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    into = forms.IntegerField(
        label=_("Number of the problem that stays"),
        help_text=_(
            "Its supporters and followers move there. You find the number in the address "
            "of its page: …/problemen/123/."
        ),
        min_value=1,
        required=False,
    )

    def __init__(self, *args: Any, problem: Problem, transition: Transition, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.problem = problem
        self.transition = transition
        move = self.fields["move"]
        assert isinstance(move, forms.ChoiceField)
        move.choices = [(transition.move.value, transition.label())]
        move.initial = transition.move.value
        if transition.needs_public_note:
            self.fields["public_note"].required = True
            self.fields["public_note"].label = _("Public reason")
            self.fields["public_note"].help_text = _(
                "Required. Everyone who can see the problem reads this on its timeline, "
                "for example: referred to the municipality's reporting service."
            )
            self.fields["public_note"].error_messages["required"] = _(
                "Give a reason; everyone will see it."
            )
        if transition.move == Move.MERGE:
            self.fields["into"].required = True
            self.fields["into"].error_messages["required"] = _(
                "Fill in the number of the problem to merge this one into."
            )
        else:
            del self.fields["into"]

    def clean_into(self) -> Problem | None:
        number = self.cleaned_data.get("into")
        if number is None:
            return None
        if number == self.problem.pk:
            raise forms.ValidationError(_("A problem cannot be merged into itself."))
        found = (
            Problem.objects.filter(neighbourhood_id=self.problem.neighbourhood_id, pk=number)
            .only("pk", "status", "neighbourhood_id")
            .first()
        )
        if found is None:
            raise forms.ValidationError(
                _("There is no problem with number %(number)s in this neighbourhood.")
                % {"number": number}
            )
        return found


class ProblemEditForm(forms.Form):
    """Category and text of a problem, as the team may change them (services.EDITABLE)."""

    def __init__(self, data: Any = None, *, problem: Problem, **kwargs: Any) -> None:
        initial = {field: getattr(problem, field) for field in EDITABLE}
        initial["category"] = problem.category_id
        super().__init__(data, initial=initial, **kwargs)
        self.fields.update(fields_for_model(Problem, fields=EDITABLE))
        self.fields["public_summary"].help_text = _(
            "What everyone sees of a sensitive problem instead of its title, for example "
            "'Drug dealing near the park'. Leave empty for 'category near street'."
        )
        self.fields["confidential_details"].help_text = _(
            "Addresses, names and other details only the team may see."
        )
        self.fields["description"].widget.attrs["rows"] = 6

    def values(self) -> dict[str, Any]:
        return {field: self.cleaned_data[field] for field in EDITABLE}


class ChronicForm(forms.Form):
    """The four CAPS tests: a problem is chronic only when all four hold."""

    tests = forms.MultipleChoiceField(
        label=_("The four tests"),
        help_text=_("Tick each test that holds. All four must hold."),
        choices=CHRONIC_TESTS,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    note = forms.CharField(
        label=_("Public note"),
        help_text=_("Everyone who can see the problem reads this on its timeline."),
        max_length=NOTE_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def clean_tests(self) -> dict[str, bool]:
        ticked = set(self.cleaned_data.get("tests") or ())
        if len(ticked) < len(CHRONIC_TESTS):
            raise forms.ValidationError(
                _(
                    "A problem is chronic only when all four tests hold. Tick all four, "
                    "or leave it for now."
                )
            )
        return {key: key in ticked for key, _label in CHRONIC_TESTS}


class ReopenRequestForm(forms.Form):
    note = forms.CharField(
        label=_("Why should it be reopened?"),
        max_length=NOTE_MAX_LENGTH,
        error_messages={"required": _("Write why the problem should be reopened.")},
        widget=forms.Textarea(attrs={"rows": 4}),
    )
