"""Time of the overdue sweep on the seed_scale city, and its number of SQL statements.

    bench/sweep.sh [--runs 3] [--items 20000] [--small 2000] [--idle-runs 7] [--explain]

1. Baseline: the reference rules are ensured, then one full sweep escalates everything already
   overdue (the first time on a fresh city this writes about a million rows; later runs find
   little), then one ordinary sweep.
2. Newly overdue: ``--items`` open commitments that are not due yet (due more than 7 days ahead,
   chosen scattered over the table) get a due date between the previous sweep's moment and now,
   in one committed transaction: the sweep's situation when that many items fell due since its
   last run. Then one sweep is timed, on the real clock, with its statements counted. Repeated
   ``--runs`` times, each run moving the next items of the pool.
3. Idle: right after, ``--idle-runs`` sweeps with nothing new, timed and counted.
4. The same as 2 with ``--small`` items: the statement count must be the same.
5. Each run puts the moved due dates back (kept meanwhile in an unlogged side table, so that an
   interrupted run is undone by the next) and deletes the commitment escalations the run created
   for them, putting their kept escalation levels right. The baseline escalations and the
   watermarks stay: the city is left swept.
   ``--from-scratch`` first deletes every escalation, kept level and watermark (the sweep's own output), so
   that the baseline is the city's first sweep ever.

``--explain`` prints EXPLAIN (ANALYZE, BUFFERS) for the INSERTs of an idle sweep and of a sweep
with ``--items`` new items, replayed inside transactions that are rolled back.
"""

import argparse
import os
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.db import connection, connections, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from accountability import seeding  # noqa: E402
from accountability.models import Escalation, EscalationRule  # noqa: E402
from accountability.services import SOURCES, escalation_levels_repair, escalations_sweep  # noqa: E402
from casework.models import Commitment  # noqa: E402

OPEN = list(Commitment.OPEN_STATES)


class Rollback(Exception):
    pass


BACKEND = ["self"]  # the database backend's process id, once connected


@dataclass
class Timing:
    seconds: float
    waited: float | None  # of which this process and its database backend were waiting for a CPU
    statements: int
    result: object


def _runqueue_wait() -> float | None:
    """Seconds this process and its backend have spent ready to run but waiting for a CPU.

    The second field of /proc/PID/schedstat; the machines are shared, so this tells how much of
    a wall-clock figure other jobs took. None when the server is not on this machine.
    """
    try:
        return sum(int(Path(f"/proc/{pid}/schedstat").read_text().split()[1]) for pid in ("self", BACKEND[0])) / 1e9
    except (OSError, IndexError, ValueError):
        return None


def sweep(**kwargs) -> Timing:
    with CaptureQueriesContext(connection) as queries:
        waited = _runqueue_wait()
        start = time.perf_counter()
        result = escalations_sweep(**kwargs)
        elapsed = time.perf_counter() - start
        if waited is not None:
            after = _runqueue_wait()
            waited = None if after is None else after - waited
    return Timing(elapsed, waited, len(queries), result)


def created(result) -> str:
    return ", ".join(f"{code} {n:,}" for code, n in result.created.items() if n) or "nothing"


def sql(statement: str, params=()) -> list:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


MOVED = "bench_sweep_moved"


def restore_moved() -> int:
    """Undo what a run (even a killed one) left: due dates back, the escalations of those items gone.

    The original due dates wait in an unlogged side table until they are put back; it is dropped
    at the end.
    """
    with transaction.atomic():
        sql(
            f"CREATE UNLOGGED TABLE IF NOT EXISTS {MOVED} (id bigint PRIMARY KEY, due_at timestamptz, original_due_at timestamptz)"
        )
        moved = [row[0] for row in sql(f"SELECT id FROM {MOVED}")]
        if moved:
            sql(
                "DELETE FROM accountability_escalation e USING accountability_escalationrule r"
                " WHERE e.rule_id = r.id AND r.subject = 'commitment' AND e.commitment_id = ANY(%s)",
                [moved],
            )
            escalation_levels_repair(commitments=Commitment.objects.filter(pk__in=moved))
            sql(
                f"UPDATE casework_commitment c SET due_at = m.due_at, original_due_at = m.original_due_at"
                f" FROM {MOVED} m WHERE c.id = m.id"
            )
            sql(f"DELETE FROM {MOVED}")
    return len(moved)


def candidate_pool() -> list[int]:
    """Open commitments due more than 7 days ahead (no reminder yet), pledged over a day ago, scattered."""
    return [
        row[0]
        for row in sql(
            "SELECT id FROM casework_commitment WHERE status = ANY(%s) AND due_at > now() + interval '7 days'"
            " AND pledged_at < now() - interval '1 day' ORDER BY md5(id::text)",
            [OPEN],
        )
    ]


class Pool:
    def __init__(self, ids: list[int]):
        self.ids, self.next = ids, 0

    def take(self, n: int) -> list[int]:
        """The next n ids, going round the pool (ids used before were put back in between)."""
        if n > len(self.ids):
            sys.exit(f"only {len(self.ids):,} open commitments are due more than 7 days ahead; need {n:,}")
        chosen = [self.ids[(self.next + i) % len(self.ids)] for i in range(n)]
        self.next = (self.next + n) % len(self.ids)
        return chosen


def make_overdue(ids: list[int], since, until) -> None:
    """Give ``ids`` due dates spread between ``since`` (the last sweep's moment) and ``until``; commit.

    The original due date moves with it (it may not be later than the due date); both are kept
    in the side table to be put back.
    """
    start = since + timedelta(milliseconds=1)
    span = until - start
    with transaction.atomic():
        sql(
            f"INSERT INTO {MOVED} SELECT id, due_at, original_due_at FROM casework_commitment WHERE id = ANY(%s)",
            [ids],
        )
        sql(
            "UPDATE casework_commitment c SET due_at = m.at, original_due_at = m.at"
            " FROM (SELECT id, %s::timestamptz + %s::interval * random() AS at FROM unnest(%s::bigint[]) id) m"
            " WHERE c.id = m.id",
            [start, span, ids],
        )


def newly_overdue(pool: Pool, n: int) -> Timing:
    """Settle, move n items past their due date, time one sweep, put everything back."""
    sweep()  # whatever fell due naturally since the last sweep, so that the timed one sees only ours
    since = timezone.now()
    sweep(now=since)
    ids = pool.take(n)
    try:
        make_overdue(ids, since, timezone.now())
        timed = sweep()
        escalated = Escalation.objects.filter(commitment_id__in=ids, rule__code="commitment-overdue").count()
        if escalated != n:
            sys.exit(f"expected {n:,} newly overdue items escalated, found {escalated:,}")
        return timed
    finally:
        restore_moved()


def idle(runs: int) -> list[Timing]:
    sweep()  # settle
    return [sweep() for _ in range(runs)]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:8.1f} ms"


def explain(label: str, prepare=None):
    """EXPLAIN (ANALYZE, BUFFERS) of each INSERT of one sweep, replayed and rolled back."""
    print(f"\n=== EXPLAIN: {label} ===")
    sweep()
    since = timezone.now()
    until = since + timedelta(seconds=1)

    def setup():
        sweep(now=since)
        if prepare:
            prepare(since, until)

    statements = []
    try:
        with transaction.atomic():
            setup()
            with CaptureQueriesContext(connection) as queries:
                escalations_sweep(now=until)
            statements = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("INSERT INTO")]
            raise Rollback
    except Rollback:
        pass
    for statement in statements:
        try:
            with transaction.atomic():
                setup()
                rows = sql("EXPLAIN (ANALYZE, BUFFERS) " + statement)
                raise Rollback
        except Rollback:
            pass
        print("\n" + statement[:300] + (" …" if len(statement) > 300 else ""))
        for (line,) in rows:
            print("   " + line)


def report(label: str, timing: Timing) -> None:
    waited = f" ({timing.waited * 1000:.0f} waiting for a CPU)" if timing.waited is not None else ""
    print(f"{label:<30} {ms(timing.seconds)}{waited}  {timing.statements} statements; created {created(timing.result)}")


def summary(label: str, timings: list[Timing], target: str) -> None:
    line = f"{label:<22} median {ms(statistics.median(t.seconds for t in timings))} of {len(timings)} (target {target})"
    if all(t.waited is not None for t in timings):
        line += (
            f"; waiting for a CPU {statistics.median(t.waited for t in timings) * 1000:.1f} ms,"
            f" without it {statistics.median(t.seconds - t.waited for t in timings) * 1000:.1f} ms"
        )
    print(f"{line}; statements {sorted({t.statements for t in timings})}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--items", type=int, default=20_000)
    parser.add_argument("--small", type=int, default=2_000)
    parser.add_argument("--idle-runs", type=int, default=7)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--from-scratch", action="store_true")
    args = parser.parse_args()
    # As in production: every commit waits for its WAL flush (the cluster default is off).
    connections["default"].settings_dict.setdefault("OPTIONS", {})["options"] = "-c synchronous_commit=on"
    BACKEND[0] = str(sql("SELECT pg_backend_pid()")[0][0])

    seeding.seed_reference_data()
    rules = list(
        EscalationRule.objects.filter(is_active=True, subject__in=list(SOURCES)).values_list("code", flat=True)
    )
    open_overdue = Commitment.objects.filter(status__in=OPEN, due_at__lte=timezone.now()).count()
    print(
        f"{Commitment.objects.count():,} commitments, {open_overdue:,} open and overdue; "
        f"{len(rules)} rungs swept: {', '.join(rules)}; PostgreSQL {connection.pg_version}"
    )
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    try:
        left = restore_moved()
        if left:
            print(f"put back {left:,} due dates left moved by an interrupted run")
        if args.from_scratch:
            with transaction.atomic():
                sql("TRUNCATE accountability_escalation, accountability_escalationlevel, accountability_sweepwatermark")
        before = Escalation.objects.count()
        report("baseline: full sweep", sweep(full=True))
        print(f"escalations: {before:,} before, {Escalation.objects.count():,} after")
        report("then an ordinary sweep", sweep())

        pool = Pool(candidate_pool())
        print(f"{len(pool.ids):,} open commitments due more than 7 days ahead, to be made newly overdue")

        if args.explain:
            explain("idle sweep")
            ids = pool.take(args.items)
            explain(f"{args.items:,} newly overdue", lambda since, until: make_overdue(ids, since, until))
            return

        big, small, idle_runs = [], [], []
        for run in range(args.runs):
            big.append(newly_overdue(pool, args.items))
            report(f"{args.items:,} newly overdue, run {run + 1}", big[-1])
            runs = idle(args.idle_runs)
            for timing in runs:
                if timing.result.total:
                    print(f"   an idle sweep found {created(timing.result)} (fell due meanwhile)")
            idle_runs += runs
            print(f"   then idle: {', '.join(f'{t.seconds * 1000:.1f}' for t in runs)} ms")
        for run in range(args.runs):
            small.append(newly_overdue(pool, args.small))
            report(f"{args.small:,} newly overdue, run {run + 1}", small[-1])

        print()
        summary(f"{args.items:,} newly overdue", big, "2000 ms")
        summary(f"{args.small:,} newly overdue", small, "-")
        summary("idle sweep", idle_runs, "50 ms")
        print(f"load average {os.getloadavg()[0]:.2f}")
    finally:
        restore_moved()
        with transaction.atomic():
            sql(f"DROP TABLE IF EXISTS {MOVED}")
    print(f"escalations left: {Escalation.objects.count():,} (the baseline; the runs' own were deleted)")


if __name__ == "__main__":
    main()
