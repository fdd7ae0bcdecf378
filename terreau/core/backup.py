"""Backups: the database and the media files in one folder, with a manifest to check a restore against.

``create_backup(output)`` writes into an empty or new folder:

- ``database.dump`` (PostgreSQL, ``pg_dump`` custom format) or ``database.sqlite3`` (SQLite's online backup);
- ``media.tar.gz``, every file under MEDIA_ROOT (logos, documents);
- ``manifest.json``: when, which Terreau version, the applied migrations, the number of rows of every table
  and the SHA-256 of each file. On PostgreSQL the rows are counted in the very snapshot ``pg_dump`` saves,
  so the counts hold even while the site keeps running.

``restore_backup(source)`` checks the files against their checksums, refuses a database that already holds
tables (or a media folder that holds files) unless forced, restores both, then counts the rows again and
fails if any table differs from the manifest. Models are found through django.apps: core imports no app.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
from collections.abc import Iterable
from contextlib import closing
from datetime import UTC, datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction

MANIFEST = "manifest.json"
MEDIA_ARCHIVE = "media.tar.gz"
DATABASE_FILES = {"postgresql": "database.dump", "sqlite": "database.sqlite3"}
FORMAT = 1


class BackupError(Exception):
    """A backup or a restore that cannot go on; the message says why, for the operator."""


def create_backup(output: Path, *, using: str = DEFAULT_DB_ALIAS) -> dict[str, Any]:
    connection = connections[using]
    if connection.vendor not in DATABASE_FILES:
        raise BackupError(f"Backups support PostgreSQL and SQLite, not {connection.vendor}.")
    output.mkdir(parents=True, exist_ok=True)
    if any(output.iterdir()):
        raise BackupError(f"{output} is not empty: give a new or empty folder.")
    database_file = output / DATABASE_FILES[connection.vendor]
    if connection.vendor == "postgresql":
        counts, migrations = _dump_postgresql(connection, database_file)
    else:
        counts, migrations = _dump_sqlite(connection, database_file)
    media_files = _archive_media(Path(settings.MEDIA_ROOT), output / MEDIA_ARCHIVE)
    manifest = {
        "format": FORMAT,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "terreau_version": _terreau_version(),
        "database": {"vendor": connection.vendor, "file": database_file.name},
        "media": {"file": MEDIA_ARCHIVE, "files": media_files},
        "migrations": migrations,
        "row_counts": counts,
        "sha256": {path.name: _sha256(path) for path in (database_file, output / MEDIA_ARCHIVE)},
    }
    (output / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return manifest


def restore_backup(source: Path, *, force: bool = False, using: str = DEFAULT_DB_ALIAS) -> dict[str, Any]:
    manifest = read_manifest(source)
    connection = connections[using]
    vendor = manifest["database"]["vendor"]
    if vendor != connection.vendor:
        raise BackupError(
            f"This backup is of a {vendor} database; the configured one is {connection.vendor}."
        )
    for name, expected in manifest["sha256"].items():
        if _sha256(source / name) != expected:
            raise BackupError(f"{name} does not match its checksum in the manifest: the backup is damaged.")
    media_root = Path(settings.MEDIA_ROOT)
    if not force:
        tables = connection.introspection.table_names()
        if tables:
            raise BackupError(
                f"The database already holds {len(tables)} tables: restore into an empty database "
                "(or pass --force to overwrite it)."
            )
        if media_root.is_dir() and any(p.is_file() for p in media_root.rglob("*")):
            raise BackupError(f"{media_root} already holds files (pass --force to restore over them).")
    database_file = source / manifest["database"]["file"]
    if vendor == "postgresql":
        _restore_postgresql(connection, database_file, clean=force)
    else:
        _restore_sqlite(connection, database_file)
    connection.close()
    _extract_media(source / MEDIA_ARCHIVE, media_root)
    with connection.cursor() as cursor:
        counts = _count_rows(cursor, connection.ops.quote_name, set(connection.introspection.table_names()))
        migrations = _applied_migrations(cursor)
    differences = {
        table: (expected, counts.get(table))
        for table, expected in manifest["row_counts"].items()
        if counts.get(table) != expected
    }
    if differences:
        listed = ", ".join(f"{t}: {e} expected, {f} found" for t, (e, f) in sorted(differences.items()))
        raise BackupError(f"The restored database differs from the manifest ({listed}).")
    if migrations != manifest["migrations"]:
        raise BackupError("The restored migrations differ from the manifest's.")
    return {"manifest": manifest, "row_counts": counts, "unknown_migrations": _unknown_migrations(migrations)}


def read_manifest(source: Path) -> dict[str, Any]:
    try:
        manifest = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"No {MANIFEST} in {source}: is it a Terreau backup folder?") from None
    except ValueError:
        raise BackupError(f"{source / MANIFEST} is not valid JSON: the backup is damaged.") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"Unknown backup format {manifest.get('format')!r}.")
    return manifest


def pending_migrations(using: str = DEFAULT_DB_ALIAS) -> int:
    """Migrations the code knows and the database has not applied (an older backup): run `migrate`."""
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connections[using])
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


# Counting -------------------------------------------------------------------------------------------------


def model_tables() -> list[str]:
    """Every table of an installed, managed model (many-to-many tables included), once."""
    tables = {
        model._meta.db_table
        for model in apps.get_models(include_auto_created=True)
        if model._meta.managed and not model._meta.proxy
    }
    return sorted(tables)


def _count_rows(cursor: Any, quote: Any, existing: Iterable[str]) -> dict[str, int]:
    present = set(existing)
    counts = {}
    for table in model_tables():
        if table in present:
            cursor.execute(f"SELECT COUNT(*) FROM {quote(table)}")  # noqa: S608 (a model's table name)
            counts[table] = cursor.fetchone()[0]
    return counts


def _applied_migrations(cursor: Any) -> list[str]:
    cursor.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
    return [f"{app}.{name}" for app, name in cursor.fetchall()]


def _unknown_migrations(applied: list[str]) -> list[str]:
    from django.db.migrations.loader import MigrationLoader

    known = {
        f"{app}.{name}" for app, name in MigrationLoader(None, ignore_no_migrations=True).disk_migrations
    }
    return [m for m in applied if m not in known]


# PostgreSQL -----------------------------------------------------------------------------------------------


def _libpq_env(settings_dict: dict[str, Any]) -> dict[str, str]:
    """The connection as libpq environment variables: the password never shows in a process list."""
    env = dict(os.environ)
    options = settings_dict.get("OPTIONS") or {}
    for variable, value in {
        "PGHOST": settings_dict.get("HOST"),
        "PGPORT": settings_dict.get("PORT"),
        "PGUSER": settings_dict.get("USER"),
        "PGPASSWORD": settings_dict.get("PASSWORD"),
        "PGDATABASE": settings_dict.get("NAME"),
        "PGSSLMODE": options.get("sslmode"),
    }.items():
        if value:
            env[variable] = str(value)
    return env


def _run(command: list[str], env: dict[str, str]) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} is missing: install PostgreSQL's client (postgresql-client).")
    result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()}")


def _dump_postgresql(connection: Any, target: Path) -> tuple[dict[str, int], list[str]]:
    # One REPEATABLE READ transaction: its exported snapshot is what pg_dump saves and what is counted.
    with transaction.atomic(using=connection.alias), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot = cursor.fetchone()[0]
        counts = _count_rows(cursor, connection.ops.quote_name, connection.introspection.table_names(cursor))
        migrations = _applied_migrations(cursor)
        _run(
            ["pg_dump", "--format=custom", "--no-owner", f"--snapshot={snapshot}", f"--file={target}"],
            _libpq_env(connection.settings_dict),
        )
    return counts, migrations


def _restore_postgresql(connection: Any, source: Path, *, clean: bool) -> None:
    connection.close()
    command = ["pg_restore", "--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
    if clean:
        command += ["--clean", "--if-exists"]
    _run(
        [*command, f"--dbname={connection.settings_dict['NAME']}", str(source)],
        _libpq_env(connection.settings_dict),
    )
    # pg_restore leaves no planner statistics: until autovacuum comes by, queries over large tables may be
    # planned as if they were empty (seen at a million organisations: 30-77 s per suggestion update, 72 ms after).
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


# SQLite ---------------------------------------------------------------------------------------------------


def _dump_sqlite(connection: Any, target: Path) -> tuple[dict[str, int], list[str]]:
    connection.ensure_connection()
    with closing(sqlite3.connect(target)) as copy:
        connection.connection.backup(copy)
    # Counted in the copy itself: exactly what was saved.
    with closing(sqlite3.connect(target)) as copy, closing(copy.cursor()) as cursor:
        tables = [row[0] for row in cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        counts = _count_rows(cursor, connection.ops.quote_name, tables)
        migrations = _applied_migrations(cursor)
    return counts, migrations


def _restore_sqlite(connection: Any, source: Path) -> None:
    connection.ensure_connection()
    with closing(sqlite3.connect(source)) as backup:
        backup.backup(connection.connection)


# Media ----------------------------------------------------------------------------------------------------


def _archive_media(media_root: Path, target: Path) -> int:
    count = 0
    with tarfile.open(target, "w:gz") as archive:
        if media_root.is_dir():
            for path in sorted(media_root.rglob("*")):
                if path.is_file() and not path.name.startswith(".readyz-"):
                    archive.add(path, arcname=path.relative_to(media_root).as_posix(), recursive=False)
                    count += 1
    return count


def _extract_media(archive_path: Path, media_root: Path) -> None:
    media_root.mkdir(parents=True, exist_ok=True)
    with tarfile.open(archive_path, "r:gz") as archive:
        # The "data" filter refuses absolute paths, "..", links out of the folder and special files.
        archive.extractall(media_root, filter="data")


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _terreau_version() -> str:
    try:
        return version("terreau")
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "unknown"
