#!/usr/bin/env bash
# Server time of submitting a visit on the loaded city: bench/visit_submit.sh [N] (default 300).
# Needs the city from bench/seed_scale.sh in the benchmark cluster.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/database.sh
# As in production: DEBUG off (no query log, no static-file rescans on each request).
export DATABASE_URL DJANGO_DEBUG=false
# Each pledge publishes a sweep after its commit: an in-process broker takes them, so that a run
# does not leave hundreds of sweeps queued for the next worker. Publishing to Redis adds about 1 ms.
export CELERY_BROKER_URL=${CELERY_BROKER_URL:-memory://}
.venv/bin/python manage.py migrate -v0
.venv/bin/python bench/visit_submit.py "${1:-300}"
