"""`terreau rebuild-suggestions`: computes every stored suggestion again (what the nightly job does).

--queue defers it to the workers instead (PostgreSQL); by default it runs here and prints the figures."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand
from django.utils import timezone

from terreau.core.jobs import defer
from terreau.matching import store, tasks


class Command(BaseCommand):
    help = (
        "Recalcule toutes les suggestions de complémentarités enregistrées (ce que fait la tâche de nuit) ; "
        "--queue la confie aux workers."
    )

    def add_arguments(self, parser):
        parser.add_argument("--queue", action="store_true", help="Confier le calcul aux workers.")

    def handle(self, *args, queue: bool = False, **options):
        if queue:
            # A build that starts after this request (a refresh's first build) already answers it.
            defer(tasks.rebuild_suggestions, requested_after=timezone.now().isoformat())
            self.stdout.write("Calcul des suggestions confié aux workers.")
            return
        started = time.perf_counter()
        build = store.rebuild_all()
        self.stdout.write(
            f"Suggestions recalculées : {build.organisations} structures, {build.pairs} paires, "
            f"en {time.perf_counter() - started:.1f} s."
        )
