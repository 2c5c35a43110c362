# Sourced by the benchmark scripts: sets DATABASE_URL to the loaded city, or stops.
# The benchmark cluster of bench/postgres.sh, unless DATABASE_URL already names another
# PostgreSQL city. A cluster that fails to start stops the run here, instead of letting the
# benchmark go on against the SQLite default.
if [[ -z ${DATABASE_URL:-} ]]; then
  cluster=$(bench/postgres.sh) || { echo "bench/postgres.sh could not start the benchmark cluster" >&2; exit 1; }
  eval "$(tail -1 <<<"$cluster")"
fi
[[ ${DATABASE_URL:-} == postgres* ]] || { echo "DATABASE_URL must name the PostgreSQL city" >&2; exit 1; }
export DATABASE_URL
