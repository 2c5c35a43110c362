#!/usr/bin/env bash
# Times seed_scale on the benchmark cluster: bench/seed_scale.sh [HOUSEHOLDS] (default 2,000,000).
# Leaves the city loaded for the other benchmarks.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/database.sh
export DATABASE_URL DJANGO_SETTINGS_MODULE=config.settings.local
[[ -x .venv/bin/python ]] || ./dev lint >/dev/null  # creates the environment
.venv/bin/python manage.py migrate -v0
start=$(date +%s.%N)
.venv/bin/python manage.py seed_scale --households "${1:-2000000}" --reset
echo "seed_scale wall: $(python3 -c "print(round($(date +%s.%N) - $start, 1))") s"
