"""Form fields that more than one of residents' forms need."""

from __future__ import annotations

from typing import Any, ClassVar

from django import forms
from django.utils.translation import gettext_lazy as _

from residents.models import normalise_postcode


class PostcodeField(forms.CharField):
    """A Dutch postcode, cleaned to the form it is stored in: '1234 ab' -> '1234AB'.

    A four-digit area alone ('1234') is a postcode too, as normalise_postcode says. An empty
    optional field stays "". Length and "required" are checked on the text as typed, before it
    is normalised.
    """

    default_error_messages: ClassVar[dict[str, Any]] = {
        "invalid": _("Fill in a valid postcode: four digits and two letters, such as 1234 AB."),
    }

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("label", _("Postcode"))
        kwargs.setdefault("max_length", 7)
        super().__init__(**kwargs)

    def clean(self, value: Any) -> Any:
        value = super().clean(value)
        if value in self.empty_values:
            return value
        try:
            return normalise_postcode(value)
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None
