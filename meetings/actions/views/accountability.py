"""The public accountability page of a neighbourhood: per owner organisation what was agreed
and what came of it, the actions still to do, and the priorities with their latest progress.

Public (no login): it shows only public fields and names no person
(meetings.actions.accountability).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from meetings.actions.accountability import accountability as accountability_read
from residents.selectors import neighbourhood_or_404


@require_GET
def accountability(request: HttpRequest, slug: str) -> HttpResponse:
    hood = neighbourhood_or_404(slug)
    return render(
        request,
        "problems/accountability.html",
        {"neighbourhood": hood, "page": accountability_read(hood)},
    )
