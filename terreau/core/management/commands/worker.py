"""`terreau worker`: run background jobs and the periodic ones (docs/deployment.md)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

logger = logging.getLogger(__name__)

# When the database goes away (restart, fail-over), Procrastinate's worker stops; it starts again this many
# seconds later, as often as needed, until the service manager asks it to stop.
RESTART_SECONDS = 5


class Command(BaseCommand):
    help = "Exécute les traitements en arrière-plan et les tâches périodiques (PostgreSQL requis)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--concurrency", type=int, default=2, help="Nombre de traitements menés en même temps (2)."
        )
        parser.add_argument(
            "--queue", action="append", dest="queues", help="File à traiter (toutes par défaut ; répétable)."
        )

    def handle(self, *args, concurrency: int, queues: list[str] | None, **options) -> None:
        if settings.TERREAU_JOBS_INLINE:
            raise CommandError(
                "Aucune file de traitements : avec SQLite, chaque traitement s'exécute aussitôt dans le "
                "processus qui le demande. Le travailleur sert avec PostgreSQL (DATABASE_URL=postgres://…)."
            )
        if concurrency < 1:
            raise CommandError("--concurrency doit valoir au moins 1.")
        from terreau.core.jobs import worker_started
        from terreau.core.tasks import retry_stalled

        # Jobs a killed worker left behind run again at once, not only at the next periodic check.
        retry_stalled()
        worker_started.send(sender=self.__class__)
        self.stdout.write(f"Travailleur démarré ({concurrency} traitement(s) à la fois).")
        self.stdout.flush()
        asyncio.run(_work_until_stopped(concurrency=concurrency, queues=queues))


async def _work_once(**options) -> None:
    from procrastinate.contrib.django import app

    # Django's connector cannot listen for new jobs: the worker runs on Procrastinate's own connection pool.
    with app.replace_connector(app.connector.get_worker_connector()):
        async with app.open_async():
            await app.run_worker_async(install_signal_handlers=False, **options)


async def _work_until_stopped(**options) -> None:
    """Run the worker; start it again when it stops by itself (database unreachable) until SIGTERM/SIGINT,
    which let the jobs under way finish (Procrastinate's graceful stop on cancellation)."""
    loop = asyncio.get_running_loop()
    stopping = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopping.set)
    while True:
        worker = asyncio.create_task(_work_once(**options))
        asked = asyncio.create_task(stopping.wait())
        await asyncio.wait({worker, asked}, return_when=asyncio.FIRST_COMPLETED)
        if stopping.is_set():
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await worker
            return
        asked.cancel()
        error = worker.exception()
        logger.warning(
            "Worker stopped (%s); starting again in %d s", error or "database unreachable?", RESTART_SECONDS
        )
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), RESTART_SECONDS)
            return
