#!/usr/bin/env bash
# The lists behind the dashboard's numbers on the loaded city: bench/rows.sh [RUNS] (default 5).
# Read only: writes nothing to the city. Needs the city from bench/seed_scale.sh, migrated.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/database.sh
# As in production: DEBUG off (no query log).
export DATABASE_URL DJANGO_DEBUG=false
.venv/bin/python bench/rows.py "$@"
