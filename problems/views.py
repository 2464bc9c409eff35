"""The public register and a problem's page. (Placeholder until the register screens land.)"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from problems.access import problem_for


def problem(request: HttpRequest, slug: str, pk: int) -> HttpResponse:
    found, _access = problem_for(request, slug, pk)
    return HttpResponse(found.public_title)
