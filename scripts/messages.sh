#!/usr/bin/env bash
# Refreshes the French message catalogue. The source strings are already French: the catalogue exists for
# French plural rules ("0 besoin ouvert", "2 besoins ouverts") and for future translations.
set -euo pipefail
cd "$(dirname "$0")/.."
IGNORE=(--ignore=.venv --ignore=node_modules --ignore=var --ignore=bench --ignore=tests)
.venv/bin/python manage.py makemessages -l fr --no-obsolete "${IGNORE[@]}"
po=terreau/locale/fr/LC_MESSAGES/django.po
# Every msgstr is its French msgid, rebuilt from scratch each time: makemessages keeps an old msgstr as a
# "fuzzy" guess when a msgid changes, which compilemessages skips (plurals then follow the English rule,
# "0 présents"). So every msgstr is emptied, refilled from its msgid, and no entry is left fuzzy.
msgfilter --keep-header --no-wrap -i "$po" -o "$po.empty" sed -e d
msgen --no-wrap "$po.empty" -o "$po.filled"
msgattrib --no-wrap --clear-fuzzy "$po.filled" -o "$po"
rm "$po.empty" "$po.filled"
.venv/bin/python manage.py compilemessages -l fr "${IGNORE[@]}"
