from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django_htmx.http import HttpResponseClientRedirect

from residents.permissions import needs_second_factor
from residents.second_factor import (
    SecondFactorRequired,
    has_totp,
    passed_second_factor,
    second_factor_redirect,
)

# Paths a team member without a second factor may still open: setting one up, logging out,
# static files, the health check and the language switch.
EXEMPT_PREFIXES = (
    "/accounts/",
    "/static/",
    "/health/",
    "/i18n/",
    "/privacy/",
    "/toegankelijkheid/",
    "/mail-afmelden/",
    "/link/",  # action links from mails act without the session
    "/scherm/",  # the projector: opened with its own key, whoever is logged in on the venue PC
    "/api/",  # anonymous open data; never uses the session
)


class TeamSecondFactorMiddleware:
    """Team members who can see confidential details must set up TOTP before anything else.

    Checked on every request, never cached for a while: a session that passed the second
    factor has a device and costs no query; any other session asks who this is (the roles are
    cached on the user for the rest of the request) and, for the team, whether TOTP exists.
    Residents are never asked. Whether this session may see confidential details is asked
    where they are shown (problems.confidential): SecondFactorRequired ends up here.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            user.is_authenticated
            and not request.path.startswith(EXEMPT_PREFIXES)
            and not passed_second_factor(request)
            and needs_second_factor(user)
            and not has_totp(user)
        ):
            return redirect("mfa_activate_totp")
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, SecondFactorRequired):
            return second_factor_redirect(request)
        return None


class LanguageMiddleware:
    """Dutch unless the person chose otherwise: the language switch (a cookie), else their
    profile. Unlike Django's LocaleMiddleware the browser's Accept-Language is ignored: many
    Dutch residents have phones set to English and should still get the Dutch interface.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.supported = {code for code, _name in settings.LANGUAGES}

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if language not in self.supported:
            user = request.user
            language = getattr(user, "language", None) if user.is_authenticated else None
        if language not in self.supported:
            language = settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Cookie",))
        response.headers.setdefault("Content-Language", language)
        return response


class HtmxRedirectMiddleware:
    """A redirect answering an htmx request becomes a full-page redirect (HX-Redirect).

    Otherwise htmx follows it inside the XHR and swaps, say, the login page into a table row
    when the session has run out.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if getattr(request, "htmx", False) and response.status_code in (301, 302, 303, 307, 308):
            return HttpResponseClientRedirect(response["Location"])
        return response
