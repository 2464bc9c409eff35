"""The answer after a POST: htmx gets a part of the page in place, a browser without
JavaScript a message and a redirect (post/redirect/get)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect

from buurtoverleg.http import HtmxHttpRequest


def partial_or_redirect(
    request: HtmxHttpRequest,
    partial: Callable[[], HttpResponse],
    to: str | Callable[[], str],
    notice: str = "",
    level: int = messages.SUCCESS,
) -> HttpResponse:
    """htmx: `partial()`, which shows the notice itself. Otherwise the notice (if any) as a
    message at `level`, and a redirect to `to`: a path or URL, or a function that gives one
    (so an htmx answer never pays for an address it does not use)."""
    if request.htmx:
        return partial()
    if notice:
        messages.add_message(request, level, notice)
    return redirect(to if isinstance(to, str) else to())
