"""Fair limits: who the client is, how often they may do something, and the page that says no.

`client_ip` is the ONE place that decides a request's client address. allauth's rate limits
use it (residents.adapters.AccountAdapter.get_client_ip), the open data API's throttle reads
the same setting (DRF's NUM_PROXIES), and every own per-client limit must call it too.

`limit_consume` counts uses per person (or per anything with a stable key) in fixed windows
in Django's cache (Redis in production, shared by all workers). allauth's own limiter keeps a
list of timestamps under a lock; a counter per window needs no lock (the cache's `incr` is
atomic in Redis) and tells exactly how long to wait, which the 429 page and its Retry-After
header need.
"""

from __future__ import annotations

import contextlib
import ipaddress
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from http import HTTPStatus

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.timesince import timeuntil

MINUTE = 60
HOUR = 60 * MINUTE
DAY = 24 * HOUR


def _clean_ip(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_ip(request: HttpRequest) -> str:
    """The address of the client that sent `request`, for every per-client limit.

    Each of the TRUSTED_PROXY_COUNT reverse proxies in front of the app appends the address it
    received the request from to X-Forwarded-For, so the client's address is the N-th entry
    from the right; entries further left are whatever the client sent and are never trusted.
    With no trusted proxy it is the connecting address (REMOTE_ADDR). A header shorter than N
    (a request that skipped the outer proxy) gives its leftmost entry, as DRF does; an entry
    that is not an address gives the connecting address, so nonsense cannot make new counters.
    """
    remote_addr = str(request.META.get("REMOTE_ADDR") or "")
    trusted = settings.TRUSTED_PROXY_COUNT
    forwarded = request.headers.get("x-forwarded-for", "")
    if trusted <= 0 or not forwarded:
        return remote_addr
    entries = forwarded.split(",")
    return _clean_ip(entries[-min(trusted, len(entries))]) or remote_addr


@dataclass(frozen=True)
class Limit:
    """At most `amount` uses per fixed window of `seconds` (windows start at whole multiples
    of `seconds` since the epoch: on the hour, at midnight UTC)."""

    amount: int
    seconds: int


class LimitReached(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"limit reached; retry after {retry_after} s")
        self.retry_after = retry_after


def _window(scope: str, who: str, limit: Limit, now: float) -> tuple[str, float]:
    """The cache key of the window `now` falls in, and how many seconds that window has left."""
    start = int(now // limit.seconds) * limit.seconds
    key = f"limits:{scope}:{limit.amount}/{limit.seconds}:{who}:{start}"
    return key, start + limit.seconds - now


def limit_wait(*, scope: str, who: str, limits: Sequence[Limit]) -> int | None:
    """Seconds until `who` may use `scope` again, or None when they may now. Counts nothing."""
    now = time.time()
    waits = []
    for limit in limits:
        key, left = _window(scope, who, limit, now)
        if (cache.get(key) or 0) >= limit.amount:
            waits.append(math.ceil(left))
    return max(waits) if waits else None


def limit_consume(*, scope: str, who: str, limits: Sequence[Limit]) -> None:
    """Count one use of `scope` by `who` against every limit, or raise LimitReached.

    A refused use is not counted (the counters are put back), so someone who keeps trying
    is not kept out longer than the window says.
    """
    now = time.time()
    counted: list[str] = []
    waits: list[int] = []
    for limit in limits:
        key, left = _window(scope, who, limit, now)
        # The key lives a little longer than its window; a later window uses a new key.
        cache.add(key, 0, timeout=math.ceil(left) + MINUTE)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr: only at the window's very end
            cache.set(key, 1, timeout=math.ceil(left) + MINUTE)
            count = 1
        counted.append(key)
        if count > limit.amount:
            waits.append(math.ceil(left))
    if waits:
        for key in counted:
            with contextlib.suppress(ValueError):  # already expired: nothing to give back
                cache.decr(key)
        raise LimitReached(retry_after=max(waits))


def wait_words(seconds: int) -> str:
    """'5 minuten', '3 uur': rounded UP, so the page never promises a retry too early."""
    minutes = max(1, math.ceil(seconds / MINUTE))
    wait = timedelta(minutes=minutes) if minutes < 60 else timedelta(hours=math.ceil(minutes / 60))
    now = timezone.now()
    return timeuntil(now + wait, now, depth=1)


def too_many_requests(request: HttpRequest, *, retry_after: int | None = None) -> HttpResponse:
    """The 429 page in the site's layout; with `retry_after`, how long to wait, also as a header.

    allauth renders the same template (429.html) for its own limits, without a wait it knows.
    """
    context = {"wait": wait_words(retry_after) if retry_after else ""}
    response = render(request, "429.html", context, status=HTTPStatus.TOO_MANY_REQUESTS)
    if retry_after:
        response["Retry-After"] = str(retry_after)
    return response
