"""`terreau worker`: run background jobs and the periodic ones (docs/deployment.md)."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


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
        from terreau.core.jobs import run_worker
        from terreau.core.tasks import retry_stalled

        # Jobs a killed worker left behind run again at once, not only at the next periodic check.
        retry_stalled()
        self.stdout.write(f"Travailleur démarré ({concurrency} traitement(s) à la fois).")
        run_worker(concurrency=concurrency, queues=queues, install_signal_handlers=True)
