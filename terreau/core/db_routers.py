"""Database routing: Procrastinate's tables exist on PostgreSQL only.

Its migrations are PostgreSQL SQL (functions, triggers, LISTEN/NOTIFY); on SQLite, where jobs run inline
(terreau.core.jobs), they are skipped instead of failing.
"""

from __future__ import annotations

from typing import Any

from django.db import connections


class QueueOnPostgresOnly:
    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        if app_label == "procrastinate":
            return connections[db].vendor == "postgresql"
        return None
