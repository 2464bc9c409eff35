"""Typed requests: views behind @login_required take AuthenticatedHttpRequest."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

if TYPE_CHECKING:
    # The django-stubs plugin reads this alias as settings.AUTH_USER_MODEL (the project's
    # user): typed fields for the views, without an import of the app that defines it.
    from django.contrib.auth.models import _User as User
    from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


class AuthenticatedHttpRequest(HtmxHttpRequest):
    user: User


def local_next(request: HttpRequest, fallback: str) -> str:
    """The `next` path of the request if it is a path on this site, else `fallback`.

    Only a path: redirect() would take anything else for a view name, and "//host" or
    "https://host" would leave the site (an open redirect).
    """
    target = request.POST.get("next") or request.GET.get("next") or ""
    if (
        target.startswith("/")
        and not target.startswith("//")
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return fallback
