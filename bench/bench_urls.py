"""The benchmarks' URLconf: the real URLs plus the bare baseline. Never used in production.

The bare view sits behind exactly the same middleware as every page and returns a static
body of the requested size, doing no other work (BENCHMARKS.md). Benchmarks reach it through
`_harness.bare_path(size)`; the generated benchmark settings point ROOT_URLCONF here.
"""

from __future__ import annotations

import sys

from _harness import BARE_ROUTE
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import include, path
from django.views.decorators.http import require_http_methods

MAX_BARE_BYTES = 4 * 1024 * 1024
_bodies: dict[int, bytes] = {}


@require_http_methods(["GET", "HEAD", "POST"])
def bare(_request: HttpRequest, size: int) -> HttpResponse:
    body = _bodies.get(size)
    if body is None:
        if size > MAX_BARE_BYTES:
            raise Http404
        body = _bodies.setdefault(size, b"x" * size)
    return HttpResponse(body, content_type="text/html; charset=utf-8")


if __name__ == "__main__":  # `make bench` runs every bench/*.py
    print("bench/bench_urls.py is the benchmarks' URLconf, not a benchmark: nothing to run.")
    sys.exit(0)

urlpatterns = [
    path(BARE_ROUTE, bare, name="bench_bare"),
    path("", include("buurtoverleg.urls")),
]
