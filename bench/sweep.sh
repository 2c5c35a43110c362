#!/usr/bin/env bash
# Time of the overdue sweep on the loaded city: bench/sweep.sh [--runs 3] [--items 20000] [--explain]
# Needs the city from bench/seed_scale.sh in the benchmark cluster; leaves it swept.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/database.sh
# As in production: DEBUG off (no query log); the benchmark captures the statements itself.
export DATABASE_URL DJANGO_DEBUG=false
.venv/bin/python manage.py migrate -v0
.venv/bin/python bench/sweep.py "$@"
