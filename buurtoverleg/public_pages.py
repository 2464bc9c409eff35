"""Which writes change what a public page shows: the hook a page cache listens to.

A service that changes what anyone may see without logging in (the register, a problem's
public page, the neighbourhood page, a meeting's agenda and minutes, round results, the open
data API) is marked where it is defined:

    @changes_public_pages
    def problem_transition(*, problem: Problem, ...) -> TimelineEntry: ...

After such a service returns, and once its transaction commits, every listener registered
with on_public_change() is told which neighbourhood changed. The neighbourhood is found on the
result or on the arguments: a `neighbourhood=` argument, an object with a `neighbourhood_id`,
or an object whose loaded `problem`, `action`, `meeting`, `round`, `item` or `minutes` has
one. Nothing is told when the service raises or its transaction rolls back.

The marks live with the services, and each app imports its service modules in its
AppConfig.ready(), so PUBLIC_WRITES lists them all once Django is set up. The platform names
no app: it reads attributes, not models.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable
from typing import Any

from django.db import transaction

log = logging.getLogger(__name__)

Listener = Callable[[int], None]

# "module.function" -> the service, for every write marked as changing a public page.
PUBLIC_WRITES: dict[str, Callable[..., Any]] = {}
_listeners: list[Listener] = []

# Where a neighbourhood may hang off an object the services take or return.
_VIA = ("problem", "action", "meeting", "round", "item", "minutes")


def on_public_change(listener: Listener) -> None:
    """Call `listener(neighbourhood_id)` after every committed public write. Once per listener."""
    if listener not in _listeners:
        _listeners.append(listener)


def public_pages_changed(neighbourhood_ids: Iterable[int]) -> None:
    """Tell the listeners, once the current transaction commits (at once outside one)."""
    ids = sorted({pk for pk in neighbourhood_ids if pk is not None})
    if not ids or not _listeners:
        return

    def tell() -> None:
        for listener in list(_listeners):
            for pk in ids:
                try:
                    listener(pk)
                except Exception:  # a cache that is down must not fail a committed write
                    log.warning("A public-change listener failed for %s", pk, exc_info=True)

    transaction.on_commit(tell)


def _neighbourhood_id(obj: Any, depth: int = 0) -> int | None:
    if obj is None or isinstance(obj, (str, int, float, bool, bytes)) or depth > 2:
        return None
    pk = getattr(obj, "neighbourhood_id", None)
    if isinstance(pk, int):
        return pk
    for name in _VIA:
        # Only what is loaded already: reading the mark must never cost a query.
        cache = getattr(getattr(obj, "_state", None), "fields_cache", {})
        if name in cache:
            found = _neighbourhood_id(cache[name], depth + 1)
            if found is not None:
                return found
    return None


def neighbourhoods_touched(result: Any, args: Iterable[Any], kwargs: dict[str, Any]) -> set[int]:
    """The neighbourhoods a service's result and arguments belong to."""
    found: set[int] = set()
    named = kwargs.get("neighbourhood")  # a neighbourhood itself, or its id
    named_pk = named if isinstance(named, int) else getattr(named, "pk", None)
    if isinstance(named_pk, int):
        found.add(named_pk)
    for obj in (result, *args, *kwargs.values()):
        items = obj if isinstance(obj, (list, tuple)) else (obj,)
        for item in items:
            pk = _neighbourhood_id(item)
            if pk is not None:
                found.add(pk)
    return found


def changes_public_pages[**P, R](service: Callable[P, R]) -> Callable[P, R]:
    """Mark a service as changing what a public page shows (see the module's docstring)."""

    @functools.wraps(service)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        result = service(*args, **kwargs)
        if _listeners:  # nobody listening (no page cache): no work on the write's path
            public_pages_changed(neighbourhoods_touched(result, args, kwargs))
        return result

    PUBLIC_WRITES[f"{service.__module__}.{service.__qualname__}"] = wrapper
    return wrapper
