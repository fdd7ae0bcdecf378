"""`terreau schedule-meetings INPUT.json [-o OUTPUT.json]` (../shared/contracts/meeting-schedule.md)."""

from __future__ import annotations

import json
import os
import sys

from django.core.management.base import BaseCommand

from terreau.meetings.planner import ScheduleInputError, loads, parse_event, plan_meetings


def _fail(message: str) -> None:
    sys.stderr.write(f"schedule-meetings : {message}\n")
    sys.exit(2)


class Command(BaseCommand):
    help = (
        "Planifie les rendez-vous individuels d'un événement (qui rencontre qui, à quel tour, à quelle table) "
        "à partir d'un fichier JSON, sans base de données."
    )
    requires_system_checks: list[str] = []
    requires_migrations_checks = False

    def add_arguments(self, parser):
        parser.add_argument("input", help="fichier JSON de l'événement, ou « - » pour l'entrée standard")
        parser.add_argument("-o", "--output", help="fichier JSON du plan (par défaut : sortie standard)")
        parser.add_argument(
            "--time-limit",
            type=float,
            default=None,
            help="durée maximale de recherche en secondes (par défaut : selon la taille de l'événement)",
        )

    def handle(
        self, *args, input: str, output: str | None = None, time_limit: float | None = None, **options
    ):  # noqa: A002
        if time_limit is not None and not time_limit > 0:
            _fail("--time-limit doit être un nombre de secondes positif")
        try:
            if input == "-":
                text = sys.stdin.buffer.read()
            else:
                with open(input, "rb") as handle:
                    text = handle.read()
        except FileNotFoundError:
            _fail(f"fichier introuvable « {input} »")
        except OSError as exc:
            _fail(f"impossible de lire « {input} » : {exc.strerror or exc}")
        try:
            event = parse_event(loads(text))
        except ScheduleInputError as exc:
            _fail(f"entrée invalide : {exc}")
        plan = plan_meetings(event, time_limit=time_limit)
        document = json.dumps(plan.as_dict(), ensure_ascii=False, indent=2) + "\n"
        if output and output != "-":
            try:
                tmp = f"{output}.tmp{os.getpid()}"
                with open(tmp, "w", encoding="utf-8") as handle:
                    handle.write(document)
                os.replace(tmp, output)
            except OSError as exc:
                _fail(f"impossible d'écrire « {output} » : {exc.strerror or exc}")
        else:
            sys.stdout.write(document)
            sys.stdout.flush()
