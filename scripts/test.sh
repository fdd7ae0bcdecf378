#!/usr/bin/env bash
# Command (2) of the README: installs everything and runs the whole test suite (SQLite by default;
# set DATABASE_URL=postgres://... to run it on PostgreSQL). Browser tests need Debian's Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
# Chromium draws its native controls (date fields, file pickers) in its own UI language: chromium-l10n
# brings the French one, so browser tests see "jj/mm/aaaa" as French users do.
if ! command -v chromium >/dev/null 2>&1 || [ ! -f /usr/lib/chromium/locales/fr.pak ]; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium chromium-l10n >/dev/null
  else
    echo "Chromium or its French language pack is missing: run 'sudo apt-get install -y chromium chromium-l10n' (browser tests need them)." >&2
    exit 1
  fi
fi
bash scripts/setup.sh
.venv/bin/ruff format --check .
.venv/bin/ruff check .
.venv/bin/python manage.py makemigrations --check --dry-run
.venv/bin/python -m pytest "$@"
