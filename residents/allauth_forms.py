"""allauth's forms with our labels (settings.ACCOUNT_FORMS): its texts are not ours, and its
Dutch catalogue is informal. The pages themselves are our templates (templates/account/)."""

from __future__ import annotations

from typing import Any

from allauth.account.forms import RequestLoginCodeForm
from django.utils.translation import gettext_lazy as _


class LoginCodeRequestForm(RequestLoginCodeForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        email = self.fields["email"]
        email.label = _("E-mail address")
        email.widget.attrs.pop("placeholder", None)
        email.widget.attrs["autocomplete"] = "email"
