"""The shared rate limiter (terreau.core.throttle): counts per key within a window opened by the key's first hit,
on Django's cache."""

from __future__ import annotations

import pytest
from django.core.cache import cache

from terreau.core import throttle
from terreau.core.throttle import throttle_blocked, throttle_count, throttle_hit


@pytest.fixture
def clock(monkeypatch):
    now = [1_800_000_000.5]
    monkeypatch.setattr(throttle, "_now", lambda: now[0])
    return now


def test_hits_are_counted_per_key_until_the_limit(clock):
    assert throttle_count(key="lien:1.2.3.4", limit=3, window=900).count == 0
    for n in range(1, 4):
        hits = throttle_hit(key="lien:1.2.3.4", limit=3, window=900)
        assert hits.count == n and hits.blocked == (n >= 3)
        clock[0] += 10
    assert throttle_blocked(key="lien:1.2.3.4", limit=3, window=900)
    assert throttle_count(key="lien:1.2.3.4", limit=3, window=900).count == 3  # asking counts nothing
    assert not throttle_blocked(key="lien:5.6.7.8", limit=3, window=900)  # another address
    assert not throttle_blocked(key="lien:1.2.3.4", limit=4, window=900)  # a higher limit


def test_the_window_opens_at_the_first_hit_and_ends(clock):
    assert throttle_hit(key="k", limit=2, window=60).retry_after == 60
    clock[0] += 45
    hits = throttle_hit(key="k", limit=2, window=60)
    assert hits.blocked and hits.retry_after == 15
    assert throttle_count(key="k", limit=2, window=60).retry_after == 15
    clock[0] += 15  # the window's end
    assert not throttle_blocked(key="k", limit=2, window=60)
    assert throttle_hit(key="k", limit=2, window=60).count == 1


def test_keys_are_hashed_and_the_counter_expires_with_the_window(clock, monkeypatch):
    """The cache never holds the address nor the token; the counter's expiry is the window's end, set again
    after each hit (the database cache resets it on incr)."""
    touched = []
    real_touch = cache.touch
    monkeypatch.setattr(
        cache, "touch", lambda key, timeout: touched.append(timeout) or real_touch(key, timeout)
    )
    throttle_hit(key="jeton-secret:203.0.113.9", limit=5, window=900)
    clock[0] += 100
    throttle_hit(key="jeton-secret:203.0.113.9", limit=5, window=900)
    assert touched == [900, 800]
    base = throttle._base("jeton-secret:203.0.113.9")
    assert "jeton-secret" not in base and "203.0.113.9" not in base
    assert cache.get(f"{base}:start") == 1_800_000_000.5


def test_a_window_must_be_positive():
    with pytest.raises(ValueError):
        throttle_hit(key="k", limit=1, window=0)
