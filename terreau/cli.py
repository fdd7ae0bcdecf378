"""The `terreau` console command: a thin wrapper around Django's management commands.

terreau demo                      set up and start the demo (see README)
terreau import-organisations ...  import a CSV (generic template, RNA waldec, SIRENE)
terreau load-territories          load the official geography from npm's @etalab/decoupage-administratif
terreau match ...                 complementarity engine (../shared/contracts/matching.md)
terreau schedule-meetings ...     one-to-one meeting planner (../shared/contracts/meeting-schedule.md)
terreau create-api-token EMAIL    print the user's REST API token (created if missing; --regenerate)
terreau send-event-reminders      remind registrants of events starting in 24-48 h (cron)
terreau <any manage.py command>
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
