from __future__ import annotations

import time
from collections.abc import Callable

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django_htmx.http import HttpResponseClientRedirect

from residents.permissions import needs_second_factor

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
RECHECK_SECONDS = 300
SESSION_KEY = "second_factor_checked_at"


class TeamSecondFactorMiddleware:
    """Team members who can see confidential details must set up TOTP before anything else.

    Residents are never asked. Once a team member has TOTP, allauth asks for it at every login.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if user.is_authenticated and not request.path.startswith(EXEMPT_PREFIXES):
            checked = request.session.get(SESSION_KEY, 0)
            if time.time() - checked > RECHECK_SECONDS:
                if (
                    needs_second_factor(user)
                    and not Authenticator.objects.filter(
                        user=user, type=Authenticator.Type.TOTP
                    ).exists()
                ):
                    return redirect("mfa_activate_totp")
                request.session[SESSION_KEY] = time.time()
        return self.get_response(request)


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
