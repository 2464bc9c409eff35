"""The resident's ballot: one number field per candidate, `points-<candidate id>`.

Saving does not go through the form: `points_from_post` reads the fields as typed and
round_services.ballot_cast checks them on the server (the one authority on the budget and the
candidates) without this module loading the candidates first. The form is for showing the
ballot: prefilled with the resident's points, or bound to what they sent when the server
refused it, with a clear message at each field.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict
from django.utils.translation import gettext as _

from meetings.rounds.models import PriorityRound, RoundCandidate
from meetings.rounds.services import BallotInvalid

PREFIX = "points-"


def field_name(candidate_id: int) -> str:
    return f"{PREFIX}{candidate_id}"


def _not_in_round() -> BallotInvalid:
    # The same words as round_services, so the page never shows the message twice.
    return BallotInvalid(
        _("Your ballot names a problem that is not in this round."), code="not_in_round"
    )


def points_from_post(data: QueryDict) -> dict[int, str]:
    """{candidate id: the value as typed} from the `points-<id>` fields. An empty or missing
    field is 0 and left out. A field that names no candidate id, or comes twice, is refused."""
    points: dict[int, str] = {}
    for name in data:
        if not name.startswith(PREFIX):
            continue
        key = name.removeprefix(PREFIX)
        if not (key.isascii() and key.isdigit()) or len(key) > 18:
            raise _not_in_round()
        values = data.getlist(name)
        if len(values) != 1:
            raise BallotInvalid(_("Give one number for each problem."), code="points_invalid")
        value = values[0].strip()
        if value:
            points[int(key)] = value
    return points


def whole(value: Any) -> int | None:
    """The value as a whole number, or None."""
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


@dataclass(frozen=True)
class Row:
    candidate: RoundCandidate
    field: forms.BoundField


class BallotForm(forms.Form):
    """The ballot as a form, for showing it. `initial` takes {candidate id: points}."""

    def __init__(
        self,
        data: Mapping[str, Any] | None = None,
        *,
        priority_round: PriorityRound,
        candidates: list[RoundCandidate],
        current: Mapping[int, int] | None = None,
    ) -> None:
        current = current or {}
        super().__init__(data, initial={field_name(c.pk): current.get(c.pk, 0) for c in candidates})
        self.round = priority_round
        self.candidates = candidates
        most = priority_round.max_per_problem
        for candidate in candidates:
            title = candidate.problem.public_title
            # Formatted now: Django formats field errors with %-params of its own.
            message = _("Give “%(title)s” a whole number of points from 0 to %(max)s.") % {
                "title": title,
                "max": most,
            }
            # The range errors are %-formatted once more (with the limit); "invalid" is not.
            in_range = message.replace("%", "%%")
            self.fields[field_name(candidate.pk)] = forms.IntegerField(
                label=title,
                required=False,
                min_value=0,
                max_value=most,
                error_messages={
                    "invalid": message,
                    "min_value": in_range,
                    "max_value": in_range,
                },
                widget=forms.NumberInput(
                    attrs={
                        "min": 0,
                        "max": most,
                        "step": 1,
                        "inputmode": "numeric",
                        "class": "ballot-input",
                        "data-ballot-input": "",
                    }
                ),
            )

    def rows(self) -> Iterator[Row]:
        for candidate in self.candidates:
            yield Row(candidate=candidate, field=self[field_name(candidate.pk)])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        known = set(self.fields)
        if any(name.startswith(PREFIX) and name not in known for name in self.data):
            raise _not_in_round()
        used = sum(value for value in cleaned.values() if isinstance(value, int))
        if used > self.round.points:
            raise ValidationError(
                _("You gave %(used)s points, but you have %(points)s.")
                % {"used": used, "points": self.round.points}
            )
        return cleaned

    def used(self) -> int:
        """The points given so far, as shown (what was typed, where it is a sensible number)."""
        total = 0
        for name in self.fields:
            raw = self[name].value()
            amount = whole(raw)
            if amount is not None and 0 <= amount <= self.round.max_per_problem:
                total += amount
        return total

    def left(self) -> int:
        return self.round.points - self.used()
