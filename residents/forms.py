from __future__ import annotations

from typing import Any

from allauth.account.forms import SignupForm
from django import forms
from django.db import transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from residents.fields import PostcodeField
from residents.models import Neighbourhood, User
from residents.services import house_number_value, invite_code_lookup, membership_apply


class AddressMixin(forms.Form):
    """Postcode, house number and invite code, checked against one neighbourhood."""

    neighbourhood: Neighbourhood

    postcode = PostcodeField(
        help_text=_("For example 1234 AB."),
        widget=forms.TextInput(attrs={"autocomplete": "postal-code", "inputmode": "text"}),
        error_messages={"required": _("Fill in your postcode.")},
    )
    house_number = forms.CharField(
        label=_("House number"),
        max_length=10,
        help_text=_("With addition if you have one, for example 12a."),
        widget=forms.TextInput(attrs={"autocomplete": "address-line2"}),
        error_messages={"required": _("Fill in your house number.")},
    )
    invite_code = forms.CharField(
        label=_("Invite code (if you have one)"),
        max_length=20,
        required=False,
        help_text=_(
            "It is on the printed sheet from the neighbourhood meeting. "
            "With a code you can take part at once."
        ),
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )

    def clean_house_number(self) -> str:
        value = self.cleaned_data["house_number"].strip()
        if house_number_value(value) is None:
            raise forms.ValidationError(_("Fill in a house number that starts with a digit."))
        return value

    def clean_invite_code(self) -> str:
        code = self.cleaned_data.get("invite_code", "").strip()
        if code:
            # The check the service makes again when it claims the code: refused here, the
            # person sees it with the rest of the form's errors, before an account is made.
            invite_code_lookup(neighbourhood=self.neighbourhood, code=code)
        return code

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        postcode, number = cleaned.get("postcode"), cleaned.get("house_number")
        if (
            postcode
            and number
            and not self.neighbourhood.covers(postcode, house_number_value(number))
        ):
            self.add_error(
                "postcode",
                forms.ValidationError(
                    _(
                        "This address is not in %(neighbourhood)s. Check your postcode and house "
                        "number, or look up your own neighbourhood on the overview page."
                    ),
                    params={"neighbourhood": self.neighbourhood.name},
                ),
            )
        return cleaned


class JoinSignupForm(AddressMixin, SignupForm):
    """Join a neighbourhood without an account yet: allauth then confirms the e-mail by code."""

    display_name = forms.CharField(
        label=_("Your name"),
        max_length=120,
        help_text=_("Other residents see your name only if you allow it."),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
        error_messages={"required": _("Fill in your name.")},
    )

    field_order = ("display_name", "email", "postcode", "house_number", "invite_code")

    def __init__(self, *args: Any, neighbourhood: Neighbourhood, **kwargs: Any) -> None:
        self.neighbourhood = neighbourhood
        super().__init__(*args, **kwargs)
        self.fields["email"].label = _("E-mail address")
        self.fields["email"].help_text = _("We send a code to this address to check it.")
        self.fields["email"].widget.attrs.pop("placeholder", None)
        self.order_fields(self.field_order)

    def try_save(self, request: HttpRequest) -> tuple[Any, Any]:
        # All or nothing: an invite code that membership_apply refuses (someone else used it
        # since the form was checked) leaves no account behind; JoinView shows the form again.
        with transaction.atomic():
            return super().try_save(request)

    def custom_signup(self, request: HttpRequest, user: User) -> None:
        user.display_name = self.cleaned_data["display_name"].strip()
        user.language = (request.LANGUAGE_CODE or "nl")[:2]
        user.save(update_fields=["display_name", "language"])
        membership_apply(
            user=user,
            neighbourhood=self.neighbourhood,
            postcode=self.cleaned_data["postcode"],
            house_number=self.cleaned_data["house_number"],
            invite_code=self.cleaned_data.get("invite_code", ""),
        )


class JoinForm(AddressMixin):
    """Join another neighbourhood while logged in."""

    def __init__(self, *args: Any, neighbourhood: Neighbourhood, **kwargs: Any) -> None:
        self.neighbourhood = neighbourhood
        super().__init__(*args, **kwargs)
