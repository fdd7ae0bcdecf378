"""The `terreau` console command: a thin wrapper around Django's management commands.

Usage: terreau COMMAND [options]   (terreau COMMAND --help for the options of one command)

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
  enforce-retention                anonymise program participants 2 years after their last session

Any other Django management command works too (migrate, runserver, createsuperuser, ...).
"""

from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    if not args or args[0] in {"-h", "--help", "help"}:
        print(__doc__.strip())
        if not args:
            sys.exit(0)
    from django.core.management import execute_from_command_line

    execute_from_command_line(["terreau", *args])


if __name__ == "__main__":
    main()
