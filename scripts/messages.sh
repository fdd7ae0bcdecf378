#!/usr/bin/env bash
# Refreshes the French message catalogue. The source strings are already French: the catalogue exists for
# French plural rules ("0 besoin ouvert", "2 besoins ouverts") and for future translations.
set -euo pipefail
cd "$(dirname "$0")/.."
IGNORE=(--ignore=.venv --ignore=node_modules --ignore=var --ignore=bench --ignore=tests)
.venv/bin/python manage.py makemessages -l fr --no-obsolete "${IGNORE[@]}"
po=terreau/locale/fr/LC_MESSAGES/django.po
msgen --no-wrap "$po" -o "$po.tmp" && mv "$po.tmp" "$po"
.venv/bin/python manage.py compilemessages -l fr "${IGNORE[@]}"
