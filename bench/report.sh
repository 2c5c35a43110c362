#!/usr/bin/env bash
# The overdue-case report on the loaded city: bench/report.sh [RUNS] (default 15).
# First page against Django admin's changelist over the same rows, CSV and XLSX export speed.
# Needs the city from bench/seed_scale.sh in the benchmark cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
# The benchmark cluster (bench/postgres.sh), unless DATABASE_URL names another loaded city.
if [[ -z ${DATABASE_URL:-} ]]; then
  eval "$(bench/postgres.sh | tail -1)"
fi
[[ $DATABASE_URL == postgres* ]] || { echo "DATABASE_URL must name the PostgreSQL city" >&2; exit 1; }
# As in production: DEBUG off (no query log).
export DATABASE_URL DJANGO_DEBUG=false
.venv/bin/python manage.py migrate -v0
.venv/bin/python bench/report.py "${1:-15}"
