"""The `terreau` console command: a thin wrapper around Django's management commands.

Usage: terreau COMMAND [options]   (terreau COMMAND --help for the options of one command)

Production
  serve [GUNICORN OPTIONS]         the web server (gunicorn, config/gunicorn.py; docs/deployment.md)
  backup --output DIR              dump the database and the media files, with a manifest
  restore --input DIR              restore a backup into an empty database, checked against its manifest
  worker [--concurrency N]         run background jobs and the periodic ones (PostgreSQL; docs/deployment.md)

Set-up and data
  load-territories                 load the official geography (npm @etalab/decoupage-administratif)
  load-demo                        (re)load the demo territory and print the demo logins
  import-organisations FILE        import a CSV (Terreau template, RNA waldec, SIRENE stock files)
  geocode-organisations            geocode organisations missing coordinates (Base Adresse Nationale)
  create-api-token EMAIL           print a user's REST API token (--regenerate for a new one)

Engines (no database needed)
  match INPUT.jsonl                complementarities (../shared/contracts/matching.md)
  schedule-meetings INPUT.json     one-to-one meeting planner (../shared/contracts/meeting-schedule.md)

Daily jobs (cron)
  expire-contact-requests          expire unanswered contact requests and tell both sides
  send-event-reminders             remind registrants of events starting in 24 to 48 hours
  rebuild-dashboard-stats          recompute the programs dashboard summary after bulk writes
  rebuild-suggestions [--queue]    recompute every stored matching suggestion (a nightly job does it too)
  enforce-retention                anonymise program participants 2 years after their last session

Any other Django management command works too (migrate, runserver, createsuperuser, ...).
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "serve":
        serve(args[1:])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if not args or args[0] in {"-h", "--help", "help"}:
        print(__doc__.strip())
        if not args:
            sys.exit(0)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["terreau", *args])


def serve(options: list[str]) -> None:
    """Replace this process with gunicorn serving Terreau, production settings unless told otherwise."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.production")
    command = [sys.executable, "-m", "gunicorn", "-c", "python:config.gunicorn", *options, "config.wsgi"]
    os.execv(sys.executable, command)  # noqa: S606 (fixed program, arguments passed as a list)


if __name__ == "__main__":
    main()
