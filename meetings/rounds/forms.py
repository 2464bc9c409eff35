"""Forms of the chair's side of a priority round: curating the candidates, opening the vote,
deciding a tie in the room, and entering paper ballots and hand counts.

They only read and check input, with clear messages; the views pass the cleaned values to
meetings.rounds.services, which checks the rules again (the budget, the round being open).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from meetings.rounds.models import PriorityRound, RoundCandidate
from meetings.rounds.selectors import eligible_problems, resident_members
from problems.models import Problem
from residents.models import User

MAX_HANDS = 10_000
REASON_MAX_LENGTH = 500
SEARCH_MAX_LENGTH = 100


class ProblemChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.public_title} ({obj.get_status_display()})"


class CandidateAddForm(forms.Form):
    problem = ProblemChoiceField(
        label=_("Problem to put on the ballot"),
        help_text=_(
            "Accepted problems of this neighbourhood that are not on the ballot yet. "
            "An accepted problem becomes a candidate; the timeline shows that."
        ),
        queryset=Problem.objects.none(),
        empty_label=_("Choose a problem"),
        error_messages={
            "required": _("Choose the problem to put on the ballot."),
            "invalid_choice": _("That problem cannot be put on this ballot. Choose another one."),
        },
    )

    def __init__(self, *args: Any, priority_round: PriorityRound, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_add_%s")
        super().__init__(*args, **kwargs)
        field = self.fields["problem"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = eligible_problems(priority_round)


class CandidateRemoveForm(forms.Form):
    candidate = forms.ModelChoiceField(
        queryset=RoundCandidate.objects.none(),
        widget=forms.HiddenInput,
        error_messages={
            "required": _("This problem is no longer on the ballot."),
            "invalid_choice": _("This problem is no longer on the ballot."),
        },
    )
    reason = forms.CharField(
        label=_("Why is it taken off the ballot?"),
        help_text=_("Everyone sees this reason on the problem's timeline."),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": _("Give a reason; everyone will see it."),
            "max_length": _("Keep the reason under 500 characters."),
        },
    )

    def __init__(self, *args: Any, priority_round: PriorityRound, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = self.fields["candidate"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = RoundCandidate.objects.filter(round=priority_round).select_related(
            "problem"
        )

    def clean_reason(self) -> str:
        reason = str(self.cleaned_data.get("reason") or "").strip()
        if not reason:
            raise forms.ValidationError(_("Give a reason; everyone will see it."))
        return reason


class RoundOpenForm(forms.Form):
    closes_at = forms.DateTimeField(
        label=_("Close the vote automatically at"),
        help_text=_(
            "Leave this empty to close the vote yourself during the meeting. "
            "Example: 8 December 2025 at 21:00."
        ),
        required=False,
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d-%m-%Y %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        error_messages={"invalid": _("Enter a date and a time, for example 08-12-2025 21:00.")},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_open_%s")
        super().__init__(*args, **kwargs)

    def clean_closes_at(self) -> Any:
        closes_at = self.cleaned_data.get("closes_at")
        if closes_at is not None and closes_at <= timezone.now():
            raise forms.ValidationError(_("Choose a closing time in the future."))
        return closes_at


class CandidateChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.problem.public_title)


class TieForm(forms.Form):
    """The chair chooses `places` of the tied candidates, and writes down how the room decided."""

    chosen = CandidateChoiceField(
        label=_("Which problems become a priority?"),
        queryset=RoundCandidate.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    tie_note = forms.CharField(
        label=_("How did the room decide?"),
        help_text=_(
            "For example: “A show of hands between the two problems: 9 against 6.” "
            "This goes into the round's history and the minutes."
        ),
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={
            "required": _("Write down how the room decided the tie."),
            "max_length": _("Keep the note under 500 characters."),
        },
    )

    def __init__(
        self, *args: Any, tied: Sequence[RoundCandidate], places: int, **kwargs: Any
    ) -> None:
        kwargs.setdefault("auto_id", "id_tie_%s")
        super().__init__(*args, **kwargs)
        self.places = places
        field = self.fields["chosen"]
        assert isinstance(field, forms.ModelMultipleChoiceField)
        field.queryset = RoundCandidate.objects.filter(pk__in=[c.pk for c in tied]).select_related(
            "problem__category"
        )
        field.error_messages["invalid_choice"] = _(
            "One of the problems you chose is no longer tied. Choose again."
        )
        field.help_text = ngettext(
            "Tick exactly %(count)s problem.", "Tick exactly %(count)s problems.", places
        ) % {"count": places}

    def clean_chosen(self) -> Any:
        chosen = self.cleaned_data.get("chosen")
        if chosen is None or len(chosen) != self.places:
            raise forms.ValidationError(
                ngettext(
                    "Choose exactly %(count)s problem: you chose %(chosen)s.",
                    "Choose exactly %(count)s problems: you chose %(chosen)s.",
                    self.places,
                )
                % {"count": self.places, "chosen": len(chosen or [])}
            )
        return chosen

    def clean_tie_note(self) -> str:
        note = str(self.cleaned_data.get("tie_note") or "").strip()
        if not note:
            raise forms.ValidationError(_("Write down how the room decided the tie."))
        return note


class VoterSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Search a resident by name"),
        help_text=_("Type a part of the name, for example the first or the last name."),
        max_length=SEARCH_MAX_LENGTH,
        required=False,
        strip=True,
        widget=forms.TextInput(attrs={"type": "search", "autocomplete": "off"}),
    )

    def words(self) -> list[str]:
        if not self.is_valid():
            return []
        return str(self.cleaned_data["q"]).split()[:5]


def points_field_name(candidate: RoundCandidate) -> str:
    """The field name the ballot page uses too: points-<candidate id>."""
    return f"points-{candidate.pk}"


class PaperBallotForm(forms.Form):
    """A known resident's paper ballot: points per candidate (empty is 0), within the budget."""

    voter = forms.ModelChoiceField(
        queryset=User.objects.none(),
        widget=forms.HiddenInput,
        error_messages={
            "required": _("Choose the resident whose ballot this is."),
            "invalid_choice": _("That person is not a resident member of this neighbourhood."),
        },
    )

    def __init__(
        self,
        *args: Any,
        priority_round: PriorityRound,
        candidates: Sequence[RoundCandidate],
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("auto_id", "id_paper_%s")
        super().__init__(*args, **kwargs)
        self.round = priority_round
        field = self.fields["voter"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = resident_members(priority_round.neighbourhood)
        most = priority_round.max_per_problem
        self.candidates = list(candidates)
        for candidate in self.candidates:
            self.fields[points_field_name(candidate)] = forms.IntegerField(
                label=candidate.problem.public_title,
                required=False,
                min_value=0,
                max_value=most,
                widget=forms.NumberInput(
                    attrs={"min": 0, "max": most, "inputmode": "numeric", "class": "round-points"}
                ),
                error_messages={
                    "invalid": _("Give a whole number of points."),
                    "min_value": _("Points cannot be negative."),
                    "max_value": _("At most %(limit_value)s points on one problem."),
                },
            )

    def points_fields(self) -> list[forms.BoundField]:
        return [self[points_field_name(c)] for c in self.candidates]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if self.errors:
            return data
        used = sum(data.get(points_field_name(c)) or 0 for c in self.candidates)
        if used > self.round.points:
            raise forms.ValidationError(
                _("These are %(used)s points, but a resident has %(points)s.")
                % {"used": used, "points": self.round.points}
            )
        return data

    def points(self) -> dict[int, int]:
        """{candidate id: points} as round_services.ballot_cast takes them."""
        return {c.pk: self.cleaned_data.get(points_field_name(c)) or 0 for c in self.candidates}


def hands_field_name(candidate: RoundCandidate) -> str:
    return f"hands-{candidate.pk}"


class HandCountForm(forms.Form):
    """The hands counted in the room per candidate; an empty field clears the count."""

    def __init__(self, *args: Any, candidates: Sequence[RoundCandidate], **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_%s")
        super().__init__(*args, **kwargs)
        self.candidates = list(candidates)
        for candidate in self.candidates:
            self.fields[hands_field_name(candidate)] = forms.IntegerField(
                label=candidate.problem.public_title,
                required=False,
                min_value=0,
                max_value=MAX_HANDS,
                widget=forms.NumberInput(
                    attrs={
                        "min": 0,
                        "max": MAX_HANDS,
                        "inputmode": "numeric",
                        "class": "round-hands",
                    }
                ),
                error_messages={
                    "invalid": _("Give a number of hands from 0 to 10,000."),
                    "min_value": _("Give a number of hands from 0 to 10,000."),
                    "max_value": _("Give a number of hands from 0 to 10,000."),
                },
            )

    def hands_fields(self) -> list[forms.BoundField]:
        return [self[hands_field_name(c)] for c in self.candidates]

    def hands(self) -> dict[int, int | None]:
        """{candidate id: hands or None (clear)}."""
        return {c.pk: self.cleaned_data.get(hands_field_name(c)) for c in self.candidates}
