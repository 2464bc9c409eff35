"""The second factor, asked for at the moment it is needed.

Everyone who can see confidential details must have TOTP (TeamSecondFactorMiddleware sends them
to set it up). Seeing those details needs more: that THIS session passed it. allauth writes
each step of a login into the session (get_authentication_records); a login with TOTP, or
confirming it later on mfa_reauthenticate, leaves a record with method "mfa". A session that
logged in before its person joined the team, or one opened by a mail link, has none, and is
asked for the code first: problems.confidential raises SecondFactorRequired, the middleware
answers with the redirect. Nothing here expires on a timer, so promotion opens no window.
"""

from __future__ import annotations

from typing import Any

from allauth.account.authentication import get_authentication_records
from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.models import Authenticator
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode


class SecondFactorRequired(Exception):
    """Confidential details were about to be shown to a session that did not pass TOTP."""


def has_totp(user: Any) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def passed_second_factor(request: HttpRequest) -> bool:
    """Did this session, for this user, pass the second factor (at login or since)?"""
    if not request.user.is_authenticated or not hasattr(request, "session"):
        return False
    return any(
        record.get("method") == "mfa"
        for record in get_authentication_records(request, request.user)
    )


def require_second_factor(request: HttpRequest) -> None:
    if not passed_second_factor(request):
        raise SecondFactorRequired


def _back_to(request: HttpRequest) -> str:
    """Where to return afterwards: the page, also when an htmx request asked for a fragment."""
    htmx = getattr(request, "htmx", None)
    page = htmx.current_url_abs_path if htmx else None
    if page and url_has_allowed_host_and_scheme(page, allowed_hosts={request.get_host()}):
        return str(page)
    return request.get_full_path()


def second_factor_redirect(request: HttpRequest) -> HttpResponseRedirect:
    """Set up TOTP if there is none yet; otherwise give the code, then come back (?next=)."""
    if not has_totp(request.user):
        return redirect("mfa_activate_totp")
    return HttpResponseRedirect(
        f"{reverse('mfa_reauthenticate')}?{urlencode({'next': _back_to(request)})}"
    )


def record_activation(
    sender: Any,  # noqa: ARG001 - signals pass every argument by keyword
    request: HttpRequest,
    user: Any,
    authenticator: Any,
    **_: Any,
) -> None:
    """Setting up TOTP means typing a valid code from the app: that passes the second factor
    for this session too, so the page the person came for does not ask for a code again."""
    if authenticator.type == Authenticator.Type.TOTP and request.user == user:
        record_authentication(request, user, "mfa", id=authenticator.pk, type=authenticator.type)
