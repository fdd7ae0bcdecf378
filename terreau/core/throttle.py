"""A small shared rate limiter on Django's cache: how many times something happened for a key within a window.

Used where a page without an account lets people try values (a personal code typed on an answering link): the
caller counts each failed try with ``throttle_hit`` and asks ``throttle_blocked`` before trying, so that once the
limit is reached every try is refused until the window ends, a right value included (otherwise a guesser would
keep trying and the right guess would still go through).

A key's window opens at its first hit and lasts ``window`` seconds (its start is kept in the cache beside the
count); the counter's expiry is set again after each hit, since the database cache (production's default,
config/env.py) resets it on ``incr``. Keys are hashed: the cache never holds an address or a token in clear.
With a per-process cache (locmem, the development default) each process counts on its own.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass

from django.core.cache import cache

PREFIX = "terreau-throttle"


@dataclass(frozen=True)
class Hits:
    """The count of hits in the current window, against the limit."""

    count: int
    limit: int
    retry_after: int  # seconds until the window ends

    @property
    def blocked(self) -> bool:
        """The limit is reached: the next try is refused."""
        return self.count >= self.limit


def _now() -> float:
    """The clock (replaced by tests; the cache's own expiry keeps to the real one)."""
    return time.time()


def _base(key: str) -> str:
    return f"{PREFIX}:{hashlib.sha256(key.encode('utf-8', 'surrogatepass')).hexdigest()}"


def _window(*, key: str, window: int) -> tuple[str, float, float | None]:
    if window <= 0:
        raise ValueError("window must be a positive number of seconds")
    base = _base(key)
    return base, _now(), cache.get(f"{base}:start")


def _counter(base: str, start: float, window: int, now: float) -> tuple[str, int]:
    """The window's counter name and the seconds left in the window."""
    return f"{base}:{int(start * 1000)}", max(1, math.ceil(start + window - now))


def _current(*, key: str, window: int) -> tuple[str, int] | None:
    """The open window of ``key`` (None when there is none)."""
    base, now, start = _window(key=key, window=window)
    if start is None or not start <= now < start + window:  # expired, or a clock gone back
        return None
    return _counter(base, start, window, now)


def _open(*, key: str, window: int) -> tuple[str, int]:
    """The open window of ``key``, opened now when there is none."""
    base, now, start = _window(key=key, window=window)
    if start is None or not start <= now < start + window:
        if start is None and cache.add(f"{base}:start", now, window):
            start = now
        else:  # another process opened it meanwhile, or the one found is stale
            start = cache.get(f"{base}:start")
            if start is None or not start <= now < start + window:
                start = now
                cache.set(f"{base}:start", start, window)
    return _counter(base, start, window, now)


def throttle_count(*, key: str, limit: int, window: int) -> Hits:
    """The hits counted for ``key`` in its current window, without counting one more."""
    current = _current(key=key, window=window)
    if current is None:
        return Hits(count=0, limit=limit, retry_after=0)
    name, remaining = current
    return Hits(count=int(cache.get(name, 0) or 0), limit=limit, retry_after=remaining)


def throttle_blocked(*, key: str, limit: int, window: int) -> bool:
    """Whether ``key`` has reached ``limit`` hits in its current window (nothing is counted)."""
    return throttle_count(key=key, limit=limit, window=window).blocked


def throttle_hit(*, key: str, limit: int, window: int) -> Hits:
    """Counts one hit for ``key`` (a failed try) and returns the count in its window, which opens at the first
    hit and lasts ``window`` seconds.

    ``hits.blocked`` is true from the ``limit``-th hit on: the caller refuses the next tries until the window ends.
    """
    name, remaining = _open(key=key, window=window)
    cache.add(name, 0, remaining)
    try:
        count = cache.incr(name)
    except ValueError:  # expired between add and incr
        cache.set(name, 1, remaining)
        count = 1
    cache.touch(name, remaining)
    return Hits(count=count, limit=limit, retry_after=remaining)
