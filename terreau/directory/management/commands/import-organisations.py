"""`terreau import-organisations FILE --branch SLUG [--format F] [--batch-size N] [--rejects-csv PATH]`.

Streams a file of any size (the web interface has a size limit). Exit status: 0 when the import ran to
its end (even with rejected rows), 1 when the import failed, 2 on bad usage; errors are one French line,
never a traceback.
"""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import ngettext

from terreau.core.models import Branch
from terreau.core.tabular import Sheet, write_csv, write_xlsx
from terreau.directory.importers import BATCH_SIZE, FORMATS, import_organisations
from terreau.directory.importers.rejects import rejects_rows
from terreau.directory.models import ImportRun

USAGE = (
    "terreau import-organisations FICHIER --branch ANTENNE [--format generic|rna|sirene_ul|sirene_etab] "
    "[--batch-size N] [--rejects-csv CHEMIN]"
)


class _FrenchParser(CommandParser):
    """Usage errors as one French line (argparse's own messages are English and multi-line)."""

    def error(self, message):
        if self.called_from_command_line:
            sys.stderr.write(f"Usage incorrect. Usage : {USAGE}\n")
            sys.exit(2)
        raise CommandError(f"Usage incorrect ({message}). Usage : {USAGE}", returncode=2)


class Command(BaseCommand):
    help = (
        "Importe des organisations depuis un fichier CSV (modèle Terreau, export RNA « waldec », "
        "stocks SIRENE), quelle que soit sa taille."
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.__class__ = _FrenchParser
        return parser

    def add_arguments(self, parser):
        parser.add_argument("file", metavar="FICHIER", help="Fichier CSV à importer.")
        parser.add_argument("--branch", metavar="ANTENNE", help="Identifiant (slug) de l'antenne.")
        parser.add_argument(
            "--format",
            metavar="FORMAT",
            help="generic, rna, sirene_ul ou sirene_etab (détecté d'après l'en-tête si absent).",
        )
        parser.add_argument(
            "--batch-size", metavar="N", default=str(BATCH_SIZE), help=f"Lignes par lot ({BATCH_SIZE})."
        )
        parser.add_argument(
            "--rejects-csv",
            metavar="CHEMIN",
            help=(
                "Écrire les lignes rejetées dans ce fichier, avec les colonnes du fichier importé et une "
                "colonne « erreurs », pour les corriger et les importer à nouveau (XLSX si le chemin finit "
                "par .xlsx, CSV sinon)."
            ),
        )

    def execute(self, *args, **options):
        try:
            return super().execute(*args, **options)
        except CommandError as exc:
            if not getattr(self, "_called_from_command_line", False):
                raise
            sys.stderr.write(f"{exc}\n")
            sys.exit(exc.returncode)
        except KeyboardInterrupt:
            if not getattr(self, "_called_from_command_line", False):
                raise
            sys.stderr.write("Import interrompu : le lot en cours a été annulé.\n")
            sys.exit(130)

    def handle(self, *args, file, branch, format, batch_size, rejects_csv, **options):
        if not branch:
            raise CommandError(f"Indiquez l'antenne avec --branch. Usage : {USAGE}", returncode=2)
        if format and format not in FORMATS:
            raise CommandError(
                f"Format inconnu : « {format} ». Formats : {', '.join(FORMATS)}.", returncode=2
            )
        try:
            size = int(batch_size)
            if size < 1:
                raise ValueError
        except ValueError:
            raise CommandError(
                f"--batch-size doit être un entier positif (reçu : « {batch_size} »).", returncode=2
            ) from None
        target = Branch.objects.filter(slug=branch).first()
        if target is None:
            known = ", ".join(Branch.objects.order_by("slug").values_list("slug", flat=True)[:20])
            raise CommandError(
                f"Antenne inconnue : « {branch} ». Antennes existantes : {known or 'aucune'}.", returncode=2
            )
        try:
            stream = open(file, "rb")  # noqa: SIM115 - closed below, streamed by the importer
        except OSError as exc:
            raise CommandError(f"Impossible de lire le fichier « {file} » : {exc.strerror or exc}.") from None
        try:
            run = import_organisations(
                stream=stream, file_name=file, format=format or None, branch=target, batch_size=size
            )
        except OSError as exc:
            raise CommandError(
                f"Lecture du fichier « {file} » interrompue : {exc.strerror or exc}."
            ) from None
        finally:
            stream.close()
        self._summary(run)
        if run.rejected_count:
            self.stdout.write("Lignes rejetées :")
            rejections = run.rejections.order_by("line", "pk").only("line", "reason")
            for rejection in rejections.iterator(chunk_size=2000):
                reasons = rejection.reasons
                if len(reasons) == 1:
                    self.stdout.write(f"  ligne {rejection.line} : {reasons[0]}")
                    continue
                self.stdout.write(f"  ligne {rejection.line} : {len(reasons)} erreurs")
                for reason in reasons:
                    self.stdout.write(f"    - {reason}")
        if rejects_csv:
            self._write_rejects(run, rejects_csv)
        if run.status == ImportRun.Status.FAILED:
            raise CommandError(run.error, returncode=1)

    def _summary(self, run: ImportRun) -> None:
        unchanged = max(run.rows_read - run.created_count - run.updated_count - run.rejected_count, 0)
        fmt = run.get_format_display() if run.format else "non reconnu"
        counts = ", ".join(
            [
                ngettext("%(n)s ligne lue", "%(n)s lignes lues", run.rows_read) % {"n": run.rows_read},
                ngettext("%(n)s créée", "%(n)s créées", run.created_count) % {"n": run.created_count},
                ngettext("%(n)s mise à jour", "%(n)s mises à jour", run.updated_count)
                % {"n": run.updated_count},
                ngettext("%(n)s inchangée ou ignorée", "%(n)s inchangées ou ignorées", unchanged)
                % {"n": unchanged},
                ngettext("%(n)s rejetée", "%(n)s rejetées", run.rejected_count) % {"n": run.rejected_count},
            ]
        )
        self.stdout.write(
            f"Import n° {run.pk} ({fmt}, encodage {run.encoding or 'inconnu'}) : {run.get_status_display()}. "
            f"{counts}."
        )

    def _write_rejects(self, run: ImportRun, path: str) -> None:
        """The rejected rows with the file's own columns and an "erreurs" column, to correct and import
        again: CSV, or XLSX when the path ends with .xlsx."""
        rows = rejects_rows(run, run.rejections.order_by("line", "pk").iterator(chunk_size=2000))
        try:
            if path.lower().endswith(".xlsx"):
                header = next(rows)
                with open(path, "wb") as out:
                    write_xlsx([Sheet(title="Lignes refusées", header=header, rows=rows)], out)
            else:
                with open(path, "w", encoding="utf-8", newline="") as out:
                    write_csv(rows, out)
        except OSError as exc:
            raise CommandError(f"Impossible d'écrire « {path} » : {exc.strerror or exc}.") from None
        self.stdout.write(
            ngettext(
                "%(n)s ligne rejetée écrite dans %(path)s (colonnes du fichier et colonne « erreurs ») : "
                "corrigez-la puis importez ce fichier.",
                "%(n)s lignes rejetées écrites dans %(path)s (colonnes du fichier et colonne « erreurs ») : "
                "corrigez-les puis importez ce fichier.",
                run.rejected_count,
            )
            % {"n": run.rejected_count, "path": path}
        )
