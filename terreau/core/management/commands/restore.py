"""`terreau restore --input DIR`: a backup into an empty database, checked against its manifest."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from terreau.core.backup import BackupError, pending_migrations, restore_backup


class Command(BaseCommand):
    help = (
        "Restore a backup made by `terreau backup` into the configured database, which must be empty, and "
        "its media files into MEDIA_ROOT; checksums and row counts are checked against the manifest."
    )

    def add_arguments(self, parser):
        parser.add_argument("--input", required=True, type=Path, help="the backup folder")
        parser.add_argument(
            "--force", action="store_true", help="restore over a database or a media folder that is not empty"
        )

    def handle(self, *args, input: Path, force: bool, **options):  # noqa: A002 (the option's name)
        try:
            report = restore_backup(Path(input), force=force)
        except BackupError as error:
            raise CommandError(str(error)) from None
        manifest = report["manifest"]
        rows = sum(report["row_counts"].values())
        self.stdout.write(
            f"Restored the backup of {manifest['created_at']} (Terreau {manifest['terreau_version']}): "
            f"{len(report['row_counts'])} tables, {rows} rows, {manifest['media']['files']} media files; "
            "every count matches the manifest."
        )
        if report["unknown_migrations"]:
            self.stderr.write(
                "This backup has migrations this version of Terreau does not know "
                f"({', '.join(report['unknown_migrations'])}): run the version that made it."
            )
        elif pending := pending_migrations():
            self.stdout.write(f"{pending} newer migrations to apply: run `terreau migrate`.")
