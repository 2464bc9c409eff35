"""The cache backend that keeps the site up when Redis is down.

Redis is a cache and a counter store here, never the only copy of anything, so an outage
should cost speed and some limits, not pages. `ResilientRedisCache` is Django's RedisCache
with one change: when Redis does not answer (connection refused, no answer within the
client's 0.5 s timeout, an error answer) an operation does not raise but behaves as if Redis
were empty and forgetful, so everything built on the cache fails OPEN (a read misses, a write
is dropped, `add` succeeds, a counter counts from zero): the pages, the API throttle, our own limits
(residents.ratelimits) and allauth's other limits go on without Redis.

Two kinds of keys must not fail open, because they are what stands between an attacker and
an account: allauth's limits on asking for a login code (`request_login_code`) and on wrong
second-factor codes (`login_failed`), and allauth's marker that a TOTP code was already used.
While Redis is down, those keys go to the database-backed cache alias named by FALLBACK
(Django's DatabaseCache on the residents_limit_cache table, created by a residents migration).
allauth reads the cache through `django.core.cache.cache`, so routing by key prefix here is
the one place that can do this without patching allauth. Counts start from zero in the
database when Redis goes away, so the limits hold from the outage's first minute on.

After a failure the backend skips Redis for BREAKER_SECONDS (per process), so during an
outage a page waits for the timeout at most once per few seconds, not on every cache call.
"""

from __future__ import annotations

import logging
import re
import time
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT, BaseCache
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

BREAKER_SECONDS = 5.0
# Keys (as given to the cache, before KEY_PREFIX and version) that must keep their limit.
PROTECTED_PREFIXES = (
    "allauth:rl:allauth.account:request_login_code:",
    "allauth:rl:allauth.account:login_failed:",
    "allauth.mfa.totp.used?",
)
# Refused, timed out, out of memory, read-only, not Redis at all: each means "do without it".
# (Django's own ValueError for incr on a missing key is not one of these and still raises.)
_OUTAGE = RedisError

# Redis servers (LOCATION) -> time.monotonic() until which they are taken to be down. Django
# makes one cache object per thread, so the breaker lives at module level to be shared.
_down_until: dict[str, float] = {}


def breaker_reset() -> None:
    """Forget every outage seen so far (for tests, and after changing CACHES)."""
    _down_until.clear()


def _protected(key: Any) -> bool:
    return isinstance(key, str) and key.startswith(PROTECTED_PREFIXES)


class ResilientRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._location = server if isinstance(server, str) else ",".join(server)
        self._fallback_alias: str = params.get("FALLBACK", "limits")

    @property
    def fallback(self) -> BaseCache:
        return caches[self._fallback_alias]

    def redis_available(self) -> bool:
        """Whether Redis answers now: one PING, within the client timeout, even while the
        breaker skips Redis (so /health/ sees a recovery at once, and ends the skipping)."""
        try:
            self._cache.get_client(write=True).ping()
        except _OUTAGE:
            self._trip()
            return False
        _down_until.pop(self._location, None)
        return True

    def _skipping(self) -> bool:
        return _down_until.get(self._location, 0.0) > time.monotonic()

    def _trip(self) -> None:
        # One warning per outage window, not one per cache call.
        if not self._skipping():
            logger.warning(
                "Redis cache at %s does not answer; going on without it for %s s",
                re.sub(r"//[^/@]*@", "//", self._location),  # never log a password from the URL
                BREAKER_SECONDS,
            )
        _down_until[self._location] = time.monotonic() + BREAKER_SECONDS

    def _run(self, operation: str, key: Any, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        """(True, result) of a RedisCache operation, from the fallback for a protected key when
        Redis is down; (False, None) when Redis is down and the caller must make up an answer."""
        if not self._skipping():
            try:
                return True, getattr(super(), operation)(key, *args, **kwargs)
            except _OUTAGE:
                self._trip()
        if _protected(key):
            return True, getattr(self.fallback, operation)(key, *args, **kwargs)
        return False, None

    def add(self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> Any:
        done, result = self._run("add", key, (value, timeout), {"version": version})
        # A lock or a "first use" marker is granted: refusing would lock everyone out.
        return result if done else True

    def get(self, key: Any, default: Any = None, version: Any = None) -> Any:
        done, result = self._run("get", key, (default,), {"version": version})
        return result if done else default

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None
    ) -> None:
        self._run("set", key, (value, timeout), {"version": version})

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> Any:
        done, result = self._run("touch", key, (timeout,), {"version": version})
        return result if done else False

    def delete(self, key: Any, version: Any = None) -> Any:
        done, result = self._run("delete", key, (), {"version": version})
        return result if done else False

    def has_key(self, key: Any, version: Any = None) -> Any:
        done, result = self._run("has_key", key, (), {"version": version})
        return result if done else False

    def incr(self, key: Any, delta: int = 1, version: Any = None) -> Any:
        done, result = self._run("incr", key, (delta,), {"version": version})
        # As if the counter had just been created: a limit counted here lets the use through.
        return result if done else delta

    def get_many(self, keys: Any, version: Any = None) -> Any:
        if not self._skipping():
            try:
                return super().get_many(keys, version=version)
            except _OUTAGE:
                self._trip()
        return {}

    def set_many(self, data: Any, timeout: Any = DEFAULT_TIMEOUT, version: Any = None) -> Any:
        if not self._skipping():
            try:
                return super().set_many(data, timeout=timeout, version=version)
            except _OUTAGE:
                self._trip()
        return list(data)  # the keys that were not stored

    def delete_many(self, keys: Any, version: Any = None) -> None:
        if not self._skipping():
            try:
                super().delete_many(keys, version=version)
            except _OUTAGE:
                self._trip()

    def clear(self) -> Any:
        if not self._skipping():
            try:
                return super().clear()
            except _OUTAGE:
                self._trip()
        return False
