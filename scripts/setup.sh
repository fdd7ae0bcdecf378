#!/usr/bin/env bash
# Installs everything Terreau needs from the project's own files (idempotent).
#   - Python 3.11 virtual environment in .venv with the project and its dev tools
#   - front-end libraries from npm (node_modules, never committed), collected with Terreau's own into var/static
#   - database migrations and the official geography (communes, departments, regions)
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3.11}
command -v "$PYTHON" >/dev/null 2>&1 || PYTHON=python3
if [ ! -x .venv/bin/python ]; then
  "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[dev]'

if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
else
  npm install --no-audit --no-fund --loglevel=error
fi

mkdir -p var/static var/media
# Static files are served by the application itself (WhiteNoise) from var/static, with DEBUG on or off.
.venv/bin/python manage.py collectstatic --noinput --clear -v0
.venv/bin/python manage.py compilemessages -l fr --ignore=.venv --ignore=node_modules -v0
.venv/bin/python manage.py migrate --noinput -v0
.venv/bin/terreau load-territories
