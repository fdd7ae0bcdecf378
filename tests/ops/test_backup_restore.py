"""The restore drill: back up a database with data and media, restore it into a fresh empty database (PostgreSQL
in .ci/run's PostgreSQL pass, SQLite otherwise), then check that nothing was lost and that the application
works against the restored copy, in other processes configured only through the environment as in production.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import connection

from terreau.core.backup import BackupError, restore_backup
from tests.factories import MembershipFactory, NeedOfferFactory, OrganisationFactory

ROOT = Path(__file__).resolve().parents[2]
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4

# Run in the restored copy: counts, migrations, a signed-in page and a public page with its logo.
CHECK = """
import json, sys
import django
django.setup()
from django.core.management import CommandError, call_command
from django.test import Client
from terreau.accounts.models import User
from terreau.directory.models import Organisation
expected = json.loads(sys.argv[1])
call_command("check")
call_command("migrate", check=True, verbosity=0)
org = Organisation.objects.get(slug=expected["slug"])
assert org.logo.read() == bytes.fromhex(expected["logo"]), "logo differs"
client = Client()
page = client.get(f"/organisations/{org.slug}/")
assert page.status_code == 200 and expected["name"] in page.content.decode(), page.status_code
client.force_login(User.objects.get(email=expected["email"]))
assert client.get("/").status_code == 200
print("restored copy works")
"""


def _seed() -> dict[str, str]:
    membership = MembershipFactory(organisation__name="Les Jardins du Clain")
    organisation = membership.organisation
    organisation.logo.save("jardins.png", ContentFile(PNG))
    NeedOfferFactory(organisation=organisation)
    NeedOfferFactory(organisation=OrganisationFactory(), offer=True)
    return {
        "slug": organisation.slug,
        "name": organisation.name,
        "email": membership.user.email,
        "logo": PNG.hex(),
    }


def _fresh_database(tmp_path: Path):
    """A new empty database of the kind under test, its DATABASE_URL, and how to drop it."""
    if connection.vendor == "sqlite":
        return f"sqlite:///{tmp_path / 'restored.sqlite3'}", lambda: None
    import psycopg

    conf = connection.settings_dict
    name = f"terreau_restore_{uuid.uuid4().hex[:12]}"
    params = {"host": conf["HOST"] or "", "port": conf["PORT"] or "5432", "user": conf["USER"] or ""}
    params["password"] = conf["PASSWORD"] or ""

    def admin(sql: str) -> None:
        with psycopg.connect(dbname="postgres", autocommit=True, **params) as admin_connection:
            admin_connection.execute(sql)

    admin(f'CREATE DATABASE "{name}"')
    auth = params["user"] + (f":{params['password']}" if params["password"] else "")
    url = f"postgres://{auth}@{params['host'] or 'localhost'}:{params['port']}/{name}"
    return url, lambda: admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _manage(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.mark.django_db(transaction=True)
def test_restore_drill(tmp_path, settings):
    expected = _seed()
    backup = tmp_path / "backup"
    call_command("backup", output=str(backup))

    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["database"]["vendor"] == connection.vendor
    assert manifest["media"]["files"] == 1
    assert manifest["row_counts"]["directory_organisation"] == 2
    assert manifest["row_counts"]["directory_needoffer"] == 2
    assert "directory.0001_initial" in manifest["migrations"]
    assert set(manifest["sha256"]) == {manifest["database"]["file"], "media.tar.gz"}

    url, drop = _fresh_database(tmp_path)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "DATABASE_URL": url,
        "TERREAU_MEDIA_ROOT": str(tmp_path / "restored-media"),
        "TERREAU_GEOCODER_URL": "",
    }
    try:
        restored = _manage(["manage.py", "restore", "--input", str(backup)], env)
        assert restored.returncode == 0, restored.stderr
        assert "every count matches the manifest" in restored.stdout

        if connection.vendor == "postgresql":  # planner statistics gathered (pg_restore leaves none)
            import psycopg

            with psycopg.connect(url) as restored_db:
                never = restored_db.execute(
                    "SELECT count(*) FROM pg_class WHERE relname LIKE 'directory\\_%' AND relkind = 'r' "
                    "AND reltuples < 0"
                ).fetchone()[0]
            assert never == 0

        works = _manage(["-c", CHECK, json.dumps(expected)], env)
        assert works.returncode == 0, works.stderr
        assert "restored copy works" in works.stdout

        # A second restore into the now non-empty database is refused: nothing is overwritten by mistake.
        again = _manage(["manage.py", "restore", "--input", str(backup)], env)
        assert again.returncode != 0
        assert "restore into an empty database" in again.stderr
    finally:
        drop()


@pytest.mark.django_db(transaction=True)
def test_a_damaged_backup_is_refused_before_anything_is_touched(tmp_path):
    _seed()
    backup = tmp_path / "backup"
    call_command("backup", output=str(backup))
    archive = backup / "media.tar.gz"
    damaged = bytearray(archive.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    archive.write_bytes(bytes(damaged))
    with pytest.raises(BackupError, match="checksum"):
        restore_backup(backup)


@pytest.mark.django_db
def test_a_backup_never_writes_into_a_folder_that_holds_files(tmp_path):
    (tmp_path / "old.txt").write_text("an earlier backup")
    with pytest.raises(CommandError, match="not empty"):
        call_command("backup", output=str(tmp_path))
