"""`terreau backup --output DIR`: the database and the media files, with a manifest (terreau/core/backup.py)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from terreau.core.backup import BackupError, create_backup


class Command(BaseCommand):
    help = "Dump the database and the media files into a new folder, with a manifest (rows, checksums)."

    def add_arguments(self, parser):
        parser.add_argument("--output", required=True, type=Path, help="a new or empty folder")

    def handle(self, *args, output: Path, **options):
        try:
            manifest = create_backup(Path(output))
        except BackupError as error:
            raise CommandError(str(error)) from None
        rows = sum(manifest["row_counts"].values())
        self.stdout.write(
            f"Backup written to {output}: {manifest['database']['vendor']} database "
            f"({len(manifest['row_counts'])} tables, {rows} rows), {manifest['media']['files']} media files."
        )
