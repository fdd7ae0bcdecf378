"""`terreau match INPUT.jsonl [--top K] [-o OUTPUT.jsonl]`: see ../shared/contracts/matching.md.

Needs no database. Errors give a one-line French message on standard error and exit status 2.
"""

from __future__ import annotations

import os
import sys

from django.core.management.base import BaseCommand, CommandError

from terreau.matching import contract, engine


class Command(BaseCommand):
    help = (
        "Complémentarités : pour chaque organisation d'un fichier JSON Lines (ou « - » pour l'entrée "
        "standard), les K meilleurs partenaires avec les besoins et ressources en jeu et leurs raisons."
    )
    requires_system_checks: list = []
    requires_migrations_checks = False

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        command = self

        def error(message):
            command._fail(f"arguments invalides : {message}")

        parser.error = error
        return parser

    def add_arguments(self, parser):
        parser.add_argument(
            "input", metavar="INPUT.jsonl", help="fichier JSON Lines, ou « - » (entrée standard)"
        )
        parser.add_argument(
            "--top", default="10", help="nombre de partenaires par organisation (10 par défaut)"
        )
        parser.add_argument(
            "-o", "--output", default=None, help="fichier de sortie (sortie standard par défaut)"
        )

    def _fail(self, message: str):
        message = " ".join(str(message).split())
        if getattr(self, "_called_from_command_line", False):
            sys.stderr.write(f"terreau match : {message}\n")
            sys.exit(2)
        raise CommandError(message, returncode=2)

    def handle(self, *args, input, top, output, **options):
        try:
            k = int(str(top))
        except ValueError:
            k = 0
        if k < 1:
            self._fail(f"--top doit être un entier positif (reçu : {top})")
        try:
            if input == "-":
                organisations = contract.read_organisations(sys.stdin.buffer)
            else:
                with open(input, "rb") as f:
                    organisations = contract.read_organisations(f)
        except contract.ContractError as exc:
            self._fail(str(exc))
        except FileNotFoundError:
            self._fail(f"fichier introuvable : {input}")
        except OSError as exc:
            self._fail(f"lecture impossible de {input} : {exc.strerror}")
        results = engine.match(organisations, top=k)
        lines = contract.result_lines(results)
        if output:
            try:
                with open(output, "w", encoding="utf-8", newline="\n") as f:
                    f.writelines(lines)
            except OSError as exc:
                self._fail(f"écriture impossible de {output} : {exc.strerror}")
        elif getattr(self, "_called_from_command_line", False):
            out = sys.stdout.buffer
            try:
                for line in lines:
                    out.write(line.encode("utf-8"))
                out.flush()
            except BrokenPipeError:
                # The reader stopped early (e.g. `| head`): not an error of ours, and no traceback.
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                sys.exit(1)
        else:
            for line in lines:
                self.stdout.write(line, ending="")
