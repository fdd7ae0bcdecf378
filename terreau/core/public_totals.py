"""Totals every anonymous visitor shares (a public list's count, the map's counts per department), kept a
short while in Django's cache.

At 100,000 organisations, counting every public row on each anonymous request was the slowest part of the map
page and of the REST API's lists (100-500 ms of PostgreSQL each, docs/benchmarks.md), for a figure that is the
same for every visitor asking with the same filters. Only anonymous requests share it: what a signed-in person
sees depends on their roles, and their totals are always counted. A new or hidden row shows in the lists at
once; in the totals after at most TERREAU_PUBLIC_TOTALS_SECONDS (0 turns the cache off: tests, development).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import EmptyResultSet
from django.db.models import QuerySet

T = TypeVar("T")


def _key(namespace: str, queryset: QuerySet[Any]) -> str | None:
    try:
        sql, params = queryset.query.sql_with_params()
    except EmptyResultSet:
        return None
    digest = hashlib.sha256(repr((sql, params)).encode()).hexdigest()
    return f"terreau:public-total:{namespace}:{digest}"


def public_total(*, namespace: str, queryset: QuerySet[Any], compute: Callable[[], T], anonymous: bool) -> T:
    """``compute()``, shared between anonymous requests whose ``queryset`` compiles to the same SQL."""
    seconds = settings.TERREAU_PUBLIC_TOTALS_SECONDS
    key = _key(namespace, queryset) if anonymous and seconds > 0 else None
    if key is None:
        return compute()
    value = cache.get(key)
    if value is None:
        value = compute()
        cache.set(key, value, seconds)
    return value
