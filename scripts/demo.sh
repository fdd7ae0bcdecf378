#!/usr/bin/env bash
# Command (1) of the README: installs everything, loads the demo territory and starts the server.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
# DEBUG off, as in production: French error pages, static files served by WhiteNoise from var/static
# (collected by setup.sh). TERREAU_DEBUG=1 ./scripts/demo.sh shows Django's debug pages instead.
# The demo's staff logins sign in without a second factor (the banner says so); production keeps it required.
export TERREAU_DEMO=1 TERREAU_DEBUG=${TERREAU_DEBUG:-0} TERREAU_STAFF_2FA_REQUIRED=${TERREAU_STAFF_2FA_REQUIRED:-0}
.venv/bin/terreau load-demo
exec .venv/bin/terreau runserver 127.0.0.1:8000
