#!/usr/bin/env bash
# Command (2) of the README: installs everything and runs the whole test suite (SQLite by default;
# set DATABASE_URL=postgres://... to run it on PostgreSQL). Browser tests need Debian's Chromium.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "Chromium is missing: run 'sudo apt-get install -y chromium' (browser tests need it)." >&2
    exit 1
  fi
fi
bash scripts/setup.sh
.venv/bin/ruff format --check .
.venv/bin/ruff check .
.venv/bin/python manage.py makemigrations --check --dry-run
.venv/bin/python -m pytest "$@"
