#!/usr/bin/env bash
# The overdue-case report on the loaded city: bench/report.sh [RUNS] [--pages | --exports] (default
# 15 runs; --pages times the pages only, --exports the exports only).
# First page against Django admin's changelist over the same rows, CSV and XLSX export speed.
# Needs the city from bench/seed_scale.sh in the benchmark cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/database.sh
# As in production: DEBUG off (no query log).
export DATABASE_URL DJANGO_DEBUG=false
.venv/bin/python manage.py migrate -v0
.venv/bin/python bench/report.py "${1:-15}" "${@:2}"
