"""The form of the blocked-addresses page: lifting a block, with a reason."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy

from buurtoverleg.mail.models import MailSuppression


class LiftForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why do you lift the block?"),
        help_text=gettext_lazy(
            "For example: the person checked the address, or their mailbox works again. "
            "This is saved with your name."
        ),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={
            "required": gettext_lazy(
                "Write why you lift the block, for example: “She checked her address.”"
            )
        },
    )


def lift_form(suppression: MailSuppression, data: object = None) -> LiftForm:
    # One form per address on the page: the prefix keeps their field ids apart.
    return LiftForm(data, prefix=f"lift-{suppression.pk}")  # type: ignore[arg-type]
