"""Liveness and readiness, for load balancers, orchestrators and monitoring.

- ``/healthz`` (liveness): the process answers; touches nothing else, so a database outage never gets
  healthy web processes killed and restarted.
- ``/readyz`` (readiness): this process can serve requests: the database answers, every migration the code
  knows is applied, the cache answers, the media directory is writable. 200 when all pass, 503 otherwise.

Both answer JSON naming each check and whether it passed, never an error message (which could reveal a
host name, a path or a credential): the detail goes to the log. ``HealthCheckMiddleware``, first in the
production middleware list, answers them before any other middleware runs: no HTTPS redirect, no host
check (a probe often calls a machine by its address), no session, no cookie.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import HttpRequest, HttpResponse, JsonResponse

logger = logging.getLogger("terreau.health")

# Once every migration is applied, the (costly) check is repeated at most this often per process.
_MIGRATIONS_RECHECK_SECONDS = 60.0
_migrations_ok_at: float | None = None


def check_database() -> None:
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT 1")


def check_migrations() -> None:
    global _migrations_ok_at
    if _migrations_ok_at is not None and time.monotonic() - _migrations_ok_at < _MIGRATIONS_RECHECK_SECONDS:
        return
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections[DEFAULT_DB_ALIAS])
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if plan:
        raise RuntimeError(f"{len(plan)} migration(s) not applied")
    _migrations_ok_at = time.monotonic()


def check_cache() -> None:
    key = "terreau:readyz"
    value = str(time.monotonic())
    cache.set(key, value, 30)
    if cache.get(key) != value:
        raise RuntimeError("the cache did not return the value just stored")


def check_media() -> None:
    # The storage creates the directory on the first upload: a missing one is fine if it can be created.
    os.makedirs(settings.MEDIA_ROOT, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=settings.MEDIA_ROOT, prefix=".readyz-"):
        pass


READINESS_CHECKS: dict[str, Callable[[], None]] = {
    "database": check_database,
    "migrations": check_migrations,
    "cache": check_cache,
    "media": check_media,
}


def liveness() -> JsonResponse:
    return _no_store(JsonResponse({"status": "ok"}))


def readiness() -> JsonResponse:
    results: dict[str, str] = {}
    for name, check in READINESS_CHECKS.items():
        if name == "migrations" and results.get("database") == "fail":
            results[name] = "fail"
            continue
        try:
            check()
        except Exception:
            logger.exception("Readiness check %s failed", name)
            results[name] = "fail"
        else:
            results[name] = "ok"
    ready = all(result == "ok" for result in results.values())
    body = {"status": "ok" if ready else "fail", "checks": results}
    return _no_store(JsonResponse(body, status=200 if ready else 503))


def _no_store(response: JsonResponse) -> JsonResponse:
    response["Cache-Control"] = "no-store"
    return response


HEALTH_PATHS: dict[str, Callable[[], JsonResponse]] = {"/healthz": liveness, "/readyz": readiness}


class HealthCheckMiddleware:
    """Answers GET/HEAD /healthz and /readyz itself, before the middlewares that redirect, validate the host,
    open a session or set cookies."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> Any:
        answer = HEALTH_PATHS.get(request.path_info)
        if answer is not None and request.method in {"GET", "HEAD"}:
            return answer()
        return self.get_response(request)
