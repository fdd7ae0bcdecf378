"""The journey of issue 12 over HTTP, against the production server, a worker and PostgreSQL: an organiser signs
in, searches the directory, plans the speed-meeting (a job followed on its progress page), publishes it and
the participants' e-mails arrive in the test mailbox; then `terreau backup`, `terreau restore` into an empty
database, and the server started on the restored copy shows the same plan and the same data."""

from __future__ import annotations

import re

import pytest

from tests.ops.runtime import (
    ORGANISER,
    PLANNING,
    Runtime,
    Visitor,
    meeting_pairs,
    plan_speed_meeting,
    publish,
    seated_emails,
    text_of,
    unique_name,
    wait_until,
)

pytestmark = pytest.mark.runtime

# Tables whose rows must all survive a backup and a restore.
COUNTED = [
    "accounts_user",
    "directory_organisation",
    "directory_needoffer",
    "events_event",
    "events_registration",
    "meetings_meeting",
    "meetings_wish",
    "core_trackedjob",
]


def _counts(runtime: Runtime) -> dict[str, int]:
    present = {name for (name,) in runtime.sql("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")}
    tables = [table for table in COUNTED if table in present]
    return {table: runtime.scalar(f'SELECT count(*) FROM "{table}"') for table in tables}  # noqa: S608


def test_organiser_journey_then_backup_and_restore(runtime, pg_server, mailbox, runtime_folder):
    runtime.start_web()
    runtime.start_worker()
    visitor = Visitor(runtime)
    try:
        home = visitor.sign_in(ORGANISER)
        assert home.status_code == 200

        found = visitor.get("/", params={"q": "tablettes"})
        assert found.status_code == 200
        count = re.search(r"(\d[\d\s]*) structures? trouvées?", text_of(found))
        assert count and int(re.sub(r"\s", "", count.group(1))) >= 1, text_of(found)[:500]

        planned = plan_speed_meeting(visitor)
        text = text_of(planned)
        assert "Planning calculé" in text, text[:1500]
        pairs = meeting_pairs(runtime)
        assert pairs and len(pairs) == len(set(pairs)), pairs

        # The plan was provisional in the demo; recalculated it is a draft: publish it, then the final one.
        published = publish(visitor, final=False)
        assert "Planning provisoire publié" in text_of(published)
        expected = seated_emails(runtime)
        provisional = mailbox.wait_for(len(expected), subject_contains="agenda provisoire", timeout=90)
        final_page = publish(visitor, final=True)
        assert "Planning définitif publié" in text_of(final_page)
        final = mailbox.wait_for(len(expected), subject_contains="Vos rendez-vous d'affaires", timeout=90)
        for messages in (provisional, final):
            recipients = [str(m["To"]) for m in messages]
            assert sorted(recipients) == sorted(expected), recipients  # each participant once
        with_calendar = [
            m for m in final if any(p.get_filename() == "rendez-vous.ics" for p in m.iter_attachments())
        ]
        assert with_calendar, "the final agendas carry their iCalendar file"
    finally:
        visitor.close()

    # Backup of the running deployment, restored into an empty database.
    before = _counts(runtime)
    backup = runtime_folder / "backup"
    runtime.terreau("backup", "--output", str(backup))
    runtime.stop()

    restored_name = unique_name("restored")
    pg_server.create(restored_name)
    try:
        restored = Runtime(
            server=pg_server, database=restored_name, folder=runtime_folder / "restored", mailbox=mailbox
        )
        restored.folder.mkdir()
        output = restored.terreau("restore", "--input", str(backup)).stdout
        assert "every count matches the manifest" in output
        assert _counts(restored) == before
        assert sorted(meeting_pairs(restored)) == sorted(pairs)

        restored.start_web()
        try:
            again = Visitor(restored)
            again.sign_in(ORGANISER)
            page = again.get(PLANNING)
            assert page.status_code == 200
            assert "Planning définitif publié" in text_of(page) or "définitif" in text_of(page)
            assert wait_until(
                lambda: again.get("/readyz").json()["status"] == "ok", timeout=10, what="readiness"
            )
            again.close()
        finally:
            restored.stop()
    finally:
        pg_server.drop(restored_name)
