#!/usr/bin/env bash
# Starts (or reuses) a private PostgreSQL 15 cluster tuned for benchmarks and prints its
# DATABASE_URL on the last line. Durability stays as in production (fsync, full_page_writes);
# only load-friendly memory and WAL sizes are raised. Run as root on Debian.
#   eval "$(bench/postgres.sh | tail -1)"    # exports DATABASE_URL
set -euo pipefail
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
DATA=${BENCH_PGDATA:-/tmp/grassroots-bench-pg}
PORT=${BENCH_PGPORT:-54330}
URL="postgres://grassroots:grassroots@127.0.0.1:$PORT/grassroots_bench"

[[ -x $PGBIN/initdb ]] || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-15 </dev/null; }

if ! runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; then
  if [[ ! -f $DATA/PG_VERSION ]]; then
    mkdir -p "$DATA" && chown postgres: "$DATA" && chmod 700 "$DATA"
    runuser -u postgres -- "$PGBIN/initdb" -D "$DATA" -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null
    cat >>"$DATA/postgresql.conf" <<CONF
port = $PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$DATA'
shared_buffers = 2GB
work_mem = 64MB
maintenance_work_mem = 1GB
max_wal_size = 8GB
checkpoint_timeout = 30min
synchronous_commit = off
wal_compression = on
max_parallel_maintenance_workers = 2
CONF
    fresh=1
  fi
  runuser -u postgres -- "$PGBIN/pg_ctl" -D "$DATA" -l "$DATA/server.log" -w start >/dev/null
  if [[ ${fresh:-0} == 1 ]]; then
    runuser -u postgres -- "$PGBIN/psql" -h "$DATA" -p "$PORT" -U postgres -q -v ON_ERROR_STOP=1 \
      -c "CREATE ROLE grassroots LOGIN PASSWORD 'grassroots' CREATEDB" \
      -c "CREATE DATABASE grassroots_bench OWNER grassroots"
  fi
fi
echo "export DATABASE_URL=$URL"
