#!/usr/bin/env bash
# Command (1) of the README: installs everything, loads the demo territory and starts the server.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export TERREAU_DEMO=1 TERREAU_DEBUG=${TERREAU_DEBUG:-1}
.venv/bin/terreau load-demo
exec .venv/bin/terreau runserver 127.0.0.1:8000
