from __future__ import annotations

from typing import Any, ClassVar

from allauth.account.adapter import DefaultAccountAdapter
from allauth.mfa.adapter import DefaultMFAAdapter
from django.http import HttpRequest
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from residents.models import User
from residents.permissions import needs_second_factor
from residents.ratelimits import client_ip


class AccountAdapter(DefaultAccountAdapter):
    # allauth's own texts for the flows we use, in our words: its Dutch says "je" and has
    # typos, and our catalogue only wins for msgids that are in our source.
    error_messages: ClassVar[dict[str, Any]] = {
        **DefaultAccountAdapter.error_messages,
        "account_inactive": _("This account is closed."),
        "cannot_remove_primary_email": _(
            "This is the address we use, so you cannot remove it. First choose another one."
        ),
        "duplicate_email": _("This e-mail address is already on your account."),
        "email_taken": _("Another account already uses this e-mail address."),
        "incorrect_code": _("This code is not right. Check it and try again."),
        "invalid_login": _("Logging in did not work. Ask for a new code and try again."),
        "max_email_addresses": _("You cannot add more than %d e-mail addresses."),
        "too_many_login_attempts": _("You have tried too often. Wait a few minutes and try again."),
        "unknown_email": _("We do not know this e-mail address."),
        "unverified_primary_email": _(
            "First confirm this e-mail address with the code we sent to it."
        ),
        "select_only_one": _("Choose only one."),
        "same_as_current": _("This is the address you already use. Fill in a new one."),
        "rate_limited": _("You are going too fast. Wait a moment and try again."),
    }
    REAUTHENTICATION_LABELS: ClassVar[dict[str, Any]] = {
        "reauthenticate_by_code": _("Send me a code by e-mail"),
        "mfa_reauthenticate": _("Use the code from your app or a recovery code"),
    }

    def get_reauthentication_methods(self, user: Any) -> list[dict[str, Any]]:
        """allauth's ways to confirm it is you (the code by mail, the app), in our words."""
        methods = super().get_reauthentication_methods(user)
        for method in methods:
            if method["id"] in self.REAUTHENTICATION_LABELS:
                method["description"] = self.REAUTHENTICATION_LABELS[method["id"]]
        return methods

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """Mail each person in their own language, whatever language the page was in."""
        user = context.get("user")
        if not isinstance(user, User):
            user = User.objects.filter(email__iexact=email).first()
        language = user.language if user else translation.get_language()
        with translation.override(language):
            super().send_mail(template_prefix, email, context)

    def get_client_ip(self, request: HttpRequest) -> str:
        """allauth's limits count per the same client address as every other limit."""
        return client_ip(request) or super().get_client_ip(request)


class MFAAdapter(DefaultMFAAdapter):
    # (add_email_blocked cannot happen: e-mail addresses are confirmed by code.)
    error_messages: ClassVar[dict[str, Any]] = {
        **DefaultMFAAdapter.error_messages,
        "cannot_delete_authenticator": _(
            "You can see confidential details, so you cannot switch off the second step."
        ),
        "cannot_generate_recovery_codes": _(
            "First switch on the second step; then you can make recovery codes."
        ),
        "incorrect_code": _("This code is not right. Check the code in your app and try again."),
        "unverified_email": _(
            "First confirm your e-mail address; then you can switch on the second step."
        ),
    }

    def can_delete_authenticator(self, authenticator: Any) -> bool:
        """Team members keep their second factor; they may replace it, not drop it."""
        if needs_second_factor(authenticator.user):
            return False
        return super().can_delete_authenticator(authenticator)
