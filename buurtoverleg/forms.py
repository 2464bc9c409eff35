"""Form helpers every app uses: the first error as one line, a service's refusal on a form or
as one line."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def first_error(form: forms.BaseForm) -> str:
    """The first error of a form as one line (a field's errors come before the form's own).

    The text only, without the field's label. A form without errors gives a general line, so a
    notice never ends in an empty "Nothing was saved: ".
    """
    for errors in form.errors.values():
        for error in errors:
            return str(error)
    return _("Something was not filled in correctly.")


def add_service_errors(form: forms.BaseForm, error: ValidationError) -> None:
    """A service's refusal on the form: per field where the form has it, else on top."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            texts = [text for e in errors for text in e.messages]
            form.add_error(field if field in form.fields else None, texts)
    else:
        form.add_error(None, error.messages)


def error_text(error: ValidationError) -> str:
    """A service's refusal as one line, for a notice where no form shows it."""
    return " ".join(str(message) for message in error.messages)
