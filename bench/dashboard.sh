#!/usr/bin/env bash
# The supervisor dashboard on the loaded city: bench/dashboard.sh [RUNS] [--no-refresh] (default 15).
# Refreshes the rollups (timed), then the whole city's and a township's dashboard server time.
# Needs the city from bench/seed_scale.sh in the benchmark cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/database.sh
# As in production: DEBUG off (no query log).
export DATABASE_URL DJANGO_DEBUG=false
.venv/bin/python manage.py migrate -v0
.venv/bin/python bench/dashboard.py "$@"
