#!/usr/bin/env bash
# Production web server: gunicorn with config/gunicorn.py, production settings (config.production).
# Every setting comes from the environment (docs/deployment.md); extra arguments go to gunicorn, e.g.
#   TERREAU_SECRET_KEY=... TERREAU_ALLOWED_HOSTS=terreau.example.org DATABASE_URL=postgres://... scripts/serve.sh
set -euo pipefail
cd "$(dirname "$0")/.."
exec .venv/bin/terreau serve "$@"
