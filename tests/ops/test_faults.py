"""Faults of a running deployment (issue 12): a worker killed in the middle of a job, the mail server down,
PostgreSQL restarted. Each runs the production server and workers against PostgreSQL (tests/ops/runtime.py)
and checks what a person sees and that nothing is lost or done twice."""

from __future__ import annotations

import importlib.util
import time

import pytest

from tests.ops.runtime import (
    GROW,
    ORGANISER,
    PLANNING,
    PrivateCluster,
    Runtime,
    Visitor,
    meeting_pairs,
    plan_speed_meeting,
    publish,
    seated_emails,
    text_of,
    wait_until,
)

pytestmark = pytest.mark.runtime

FRENCH_ERROR = "Une erreur est survenue"


def _planning_is_a_job() -> bool:
    spec = importlib.util.find_spec("terreau.meetings.tasks")
    return spec is not None and "meetings.plan" in spec.loader.get_source(spec.name)


def _mail_goes_through_the_outbox() -> bool:
    spec = importlib.util.find_spec("terreau.notifications.delivery")
    return spec is not None


def _plan_computed_notes(runtime: Runtime) -> int:
    return runtime.scalar("SELECT count(*) FROM meetings_planchange WHERE note LIKE 'Planning calculé%%'")


def test_a_worker_killed_mid_job_the_job_completes_once_after_restart(runtime):
    if not _planning_is_a_job():
        pytest.skip("speed-meeting planning is not a background job yet")
    runtime.terreau("shell", "-c", GROW)  # a plan that takes seconds to compute
    runtime.start_web()
    worker = runtime.start_worker("--concurrency", "1")
    visitor = Visitor(runtime)
    try:
        visitor.sign_in(ORGANISER)
        notes_before = _plan_computed_notes(runtime)
        pairs_before = sorted(meeting_pairs(runtime))
        started = visitor.post_form(PLANNING, action=f"{PLANNING}planifier/")
        assert started.url.path.startswith("/traitements/"), started.url
        tracked_id = started.url.path.rstrip("/").rsplit("/", 1)[-1]

        # Killed while it searches: the job is "doing" in the queue and its person sees it running.
        wait_until(
            lambda: runtime.scalar(
                "SELECT message FROM core_trackedjob WHERE id = %s", tracked_id
            ).startswith("Recherche"),
            timeout=60,
            what="the plan's search to start",
        )
        time.sleep(1)
        job_row = "SELECT id, status FROM procrastinate_jobs WHERE task_name = 'meetings.plan'"
        [(job_id, status)] = runtime.sql(job_row)
        assert status == "doing"
        runtime.kill(worker)
        assert runtime.scalar("SELECT status FROM procrastinate_jobs WHERE id = %s", job_id) == "doing"
        assert _plan_computed_notes(runtime) == notes_before, "the killed attempt wrote nothing"
        assert sorted(meeting_pairs(runtime)) == pairs_before

        # A new worker, once the dead one's heartbeat is stale, takes the job again from the start.
        time.sleep(5)
        runtime.start_worker("--concurrency", "1")
        done = plan_speed_meeting_progress(visitor, started.url.path)
        assert "Traitement terminé" in text_of(done), text_of(done)[:1500]

        [(same_id, status)] = runtime.sql(job_row)
        assert (same_id, status) == (job_id, "succeeded")
        assert _plan_computed_notes(runtime) == notes_before + 1, "the plan was recorded exactly once"
        pairs = meeting_pairs(runtime)
        assert pairs and len(pairs) == len(set(pairs)), "no meeting twice"
        assert runtime.scalar("SELECT state FROM core_trackedjob WHERE id = %s", tracked_id) == "done"
    finally:
        visitor.close()


def plan_speed_meeting_progress(visitor: Visitor, progress: str):
    def finished():
        page = visitor.get(progress)
        text = text_of(page)
        return page if ("Traitement terminé" in text or "n'a pas abouti" in text) else None

    return wait_until(finished, timeout=180, what="the planning job to finish", every=1)


def test_mail_server_down_the_messages_wait_and_leave_once_it_is_back(runtime, mailbox):
    if not _mail_goes_through_the_outbox():
        pytest.skip("e-mails are not sent through the outbox yet")
    runtime.start_web()
    runtime.start_worker()
    visitor = Visitor(runtime)
    try:
        visitor.sign_in(ORGANISER)
        assert "Planning calculé" in text_of(plan_speed_meeting(visitor))
        mailbox.stop()
        last = runtime.scalar("SELECT coalesce(max(id), 0) FROM notifications_emaildelivery")

        # The organiser publishes while the mail server is unreachable: a normal page, no error.
        page = publish(visitor, final=False)
        assert page.status_code == 200 and FRENCH_ERROR not in text_of(page)
        assert "Planning provisoire publié" in text_of(page)
        expected = seated_emails(runtime)
        # The deliveries of this publication (the demo's own, sent when the worker started, are older).
        outbox = (
            f"SELECT state, count(*) FROM notifications_emaildelivery WHERE id > {int(last)} GROUP BY state"  # noqa: S608
        )
        time.sleep(4)  # a few attempts fail meanwhile
        states = dict(runtime.sql(outbox))
        assert states.get("sent", 0) == 0 and states.get("pending", 0) >= len(expected), states
        failed_attempts = runtime.scalar(
            "SELECT count(*) FROM procrastinate_events WHERE type = 'deferred_for_retry'"
        )
        assert failed_attempts >= 1, "sending was retried"

        mailbox.start()
        messages = mailbox.wait_for(len(expected), subject_contains="agenda provisoire", timeout=180)
        wait_until(
            lambda: dict(runtime.sql(outbox)).get("pending", 0) == 0, timeout=60, what="the outbox to empty"
        )
        time.sleep(3)  # nothing more arrives: every message left exactly once
        messages = mailbox.received("agenda provisoire")
        assert sorted(str(m["To"]) for m in messages) == sorted(expected)
        assert dict(runtime.sql(outbox)).get("failed", 0) == 0
    finally:
        visitor.close()


@pytest.mark.skipif(not PrivateCluster.available(), reason="needs root and the PostgreSQL server programs")
def test_postgresql_restarted_the_application_recovers(pg_server, template_database, mailbox, runtime_folder):
    cluster = PrivateCluster()
    cluster.create()
    runtime = None
    try:
        cluster.copy_from(pg_server, template_database)
        runtime = Runtime(
            server=cluster.server, database=template_database, folder=runtime_folder, mailbox=mailbox
        )
        runtime.start_web()
        worker = runtime.start_worker()
        visitor = Visitor(runtime)
        visitor.sign_in(ORGANISER)
        assert visitor.get("/", params={"q": "tablettes"}).status_code == 200

        cluster.stop()
        # While the database is away: a French error page at once (no hang), not ready, still alive.
        began = time.monotonic()
        page = visitor.get("/", params={"q": "tablettes"})
        assert page.status_code in (500, 503) and FRENCH_ERROR in text_of(page), page.text[:500]
        assert time.monotonic() - began < 15
        ready = visitor.get("/readyz")
        assert ready.status_code == 503 and ready.json()["checks"]["database"] == "fail"
        assert visitor.get("/healthz").status_code == 200

        cluster.start()
        # Back without restarting anything: ready again, the same session still signed in, jobs worked.
        wait_until(lambda: visitor.get("/readyz").status_code == 200, timeout=60, what="readiness")
        page = visitor.get("/", params={"q": "tablettes"})
        assert page.status_code == 200 and "structures trouvées" in text_of(page)
        assert "Planning calculé" in text_of(plan_speed_meeting(visitor))
        job_id = runtime.defer("activities.rebuild_dashboard_stats", timestamp=0)
        wait_until(
            lambda: runtime.job_status(job_id) == "succeeded",
            timeout=60,
            what="a job done by the same worker",
        )
        assert worker.poll() is None, "the worker kept running through the restart"
        visitor.close()
    except BaseException:
        if runtime is not None:
            print(runtime.report())  # noqa: T201 (shown with the failure)
        raise
    finally:
        if runtime is not None:
            runtime.stop()
        cluster.destroy()
