"""The error pages: in the site's layout and the visitor's language, with a way back.

Django's own pages are bare English and its CSRF page carries an inline style the CSP blocks.
These views are wired as handler400/403/404/500 (buurtoverleg/urls.py) and CSRF_FAILURE_VIEW.
An error can happen before LanguageMiddleware ran (a bad Host header, a crash in a middleware),
so each view chooses the language itself, from what needs no database: the middleware's
choice, else the language cookie, else Dutch.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import SuspiciousOperation
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template import loader
from django.utils import translation
from django.utils.html import format_html
from django.utils.translation import gettext


class NulInAddress(SuspiciousOperation):
    """Logged as django.security.NulInAddress and answered with the 400 page."""


class RejectNulMiddleware:
    """A NUL character in the path answers 400; a cookie holding one is ignored.

    PostgreSQL refuses NUL in text, so a lookup with one (`/scherm/%00/`, a session cookie
    `"...\\000"`) would end in a 500; no real address or cookie holds one, so one check here
    covers every view. Early in MIDDLEWARE, so the cookies are clean before the session is
    read; the address is refused in process_view, so the 400 page still passes through the
    middlewares that add the CSP and frame headers.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if any(_has_nul(name) or _has_nul(value) for name, value in request.COOKIES.items()):
            request.COOKIES = {
                name: value
                for name, value in request.COOKIES.items()
                if not (_has_nul(name) or _has_nul(value))
            }
        return self.get_response(request)

    def process_view(
        self,
        request: HttpRequest,
        _view_func: Callable[..., HttpResponse],
        _view_args: tuple[Any, ...],
        _view_kwargs: dict[str, Any],
    ) -> HttpResponse | None:
        # The path only: a query value with a NUL is a bad filter like any other, which the
        # views ignore or refuse as they do other junk (and the API as its schema says).
        if _has_nul(request.path):
            raise NulInAddress("NUL character in the address")
        return None


def _has_nul(text: str) -> bool:
    return "\x00" in text


def _activate_language(request: HttpRequest) -> str:
    supported = {code for code, _name in settings.LANGUAGES}
    for language in (
        getattr(request, "LANGUAGE_CODE", None),
        request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME),
    ):
        if language in supported:
            break
    else:
        language = settings.LANGUAGE_CODE
    translation.activate(language)
    return language


def _page(
    request: HttpRequest, template_name: str, status: int, *, full_context: bool
) -> HttpResponse:
    """Render an error page. With `full_context` the context processors run (the navigation
    knows who is logged in); without, the page needs nothing that can fail: no database, no
    user, only the request's path and a CSRF token for the language switch."""
    language = _activate_language(request)
    template = loader.get_template(template_name)
    if full_context:
        body = template.render({}, request)
    else:
        body = template.render({"request": request, "csrf_token": get_token(request)})
    response = HttpResponse(body, status=status)
    response.headers["Content-Language"] = language
    return response


def bad_request(
    request: HttpRequest,
    exception: Exception | None = None,  # noqa: ARG001 - Django passes it by keyword
) -> HttpResponse:
    # A bad request may be malformed anywhere (its host, its body): render with little.
    return _page(request, "400.html", 400, full_context=False)


def permission_denied(
    request: HttpRequest,
    exception: Exception | None = None,  # noqa: ARG001 - Django passes it by keyword
) -> HttpResponse:
    # The exception's text is for the log, never for the page: it may name internals.
    return _page(request, "403.html", 403, full_context=True)


def page_not_found(
    request: HttpRequest,
    exception: Exception | None = None,  # noqa: ARG001 - Django passes it by keyword
) -> HttpResponse:
    return _page(request, "404.html", 404, full_context=True)


def csrf_failure(
    request: HttpRequest,
    reason: str = "",  # noqa: ARG001 - Django passes it by keyword
) -> HttpResponse:
    # Rendered with the context processors, so the page hands out a fresh CSRF cookie and
    # "go back, reload and try again" works.
    return _page(request, "403_csrf.html", 403, full_context=True)


def server_error(request: HttpRequest) -> HttpResponse:
    """The 500 page, which must render whatever broke: the database, a middleware, even the
    templates. Rendering itself failing falls back to a fixed page of the same words."""
    try:
        return _page(request, "500.html", 500, full_context=False)
    except Exception:  # the last resort may not fail in turn
        return HttpResponse(_fallback_500(), status=500)


def _fallback_500() -> str:
    language = translation.get_language() or settings.LANGUAGE_CODE
    return format_html(
        '<!DOCTYPE html><html lang="{}"><head><meta charset="utf-8"><title>{}</title></head>'
        '<body><h1>{}</h1><p>{}</p><p><a href="/">{}</a></p></body></html>',
        language,
        gettext("Something went wrong"),
        gettext("Something went wrong"),
        gettext("This is our fault, not yours. Please try again in a few minutes."),
        gettext("To the home page"),
    )
