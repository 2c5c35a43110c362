"""The overdue-case report on the seed_scale city: first page time against Django admin's
changelist over the same rows, CSV and XLSX export speed, and memory while exporting.

Pages go through the whole request stack in-process (Django's test client), so the figures are
server time without the network; the pages take turns, one request each a round, so that the
report and the admin changelist meet the same load. Exports are driven directly (as the view and
the background job do): CSV into a sink that only counts bytes, like a fast client, XLSX into a
temporary file inside a transaction, as the view writes it; each is the median of EXPORT_RUNS runs (default 3). Two
users are added for the run (an inspector of one township and a superuser) and removed at the end.
The machine's load average is printed with the figures.

    bench/report.sh [RUNS] [--pages]      # --pages: the pages only, no exports
    bench/report.sh [RUNS] --exports      # the exports only, no pages
"""

import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.pages import load, median_ms  # noqa: E402
from cadres.access import access_for  # noqa: E402
from cadres.models import Scope  # noqa: E402
from casework.models import Commitment  # noqa: E402
from households.models import Region  # noqa: E402
from reports import exports, figures, selectors, services  # noqa: E402

RUNS = int(next((arg for arg in sys.argv[1:] if arg.isdigit()), 15))
PAGES_ONLY = "--pages" in sys.argv[1:]
EXPORTS_ONLY = "--exports" in sys.argv[1:]
EXPORT_RUNS = int(os.environ.get("EXPORT_RUNS", "3"))
OPEN = ",".join(Commitment.OPEN_STATES)


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed_export(write) -> tuple[float, int, float]:
    """The median seconds of EXPORT_RUNS runs of ``write()`` (which returns the bytes it wrote),
    the size, and how much the process's peak memory grew over all of them."""
    before = max_rss_mb()
    seconds, size = [], 0
    for _ in range(EXPORT_RUNS):
        start = time.perf_counter()
        size = write()
        seconds.append(time.perf_counter() - start)
    return statistics.median(seconds), size, max_rss_mb() - before


def streamed(chunks) -> int:
    return sum(len(chunk) for chunk in chunks)


def report_rows(access, **filters):
    report = selectors.overdue_report(access, filters)
    assert report.rows is not None, report.form.errors
    return report


def main():
    User = get_user_model()
    township = Region.objects.filter(level=Region.Level.TOWNSHIP).order_by("path").first()
    inspector, _ = User.objects.get_or_create(username="bench-report-inspector")
    admin, _ = User.objects.get_or_create(username="bench-report-admin", defaults={"is_staff": True, "is_superuser": True})
    Scope.objects.get_or_create(
        user=inspector, kind=Scope.Kind.INSPECTION, region=township, defaults={"start": timezone.localdate()}
    )
    try:
        run(township, inspector, admin)
    finally:
        Scope.objects.filter(user=inspector).delete()
        User.objects.filter(pk__in=[inspector.pk, admin.pk]).delete()


def run(township, inspector, admin):
    now = timezone.now()
    city_rows = report_rows(access_for(admin)).rows.count()
    town_rows = report_rows(access_for(admin), region=str(township.pk)).rows.count()
    print(f"overdue rows: city {city_rows}, township {township.name} {town_rows}")
    if not EXPORTS_ONLY:
        pages(now, township, inspector, admin, city_rows)
    if not PAGES_ONLY:
        exports_timed(now, admin, city_rows)
    print(load())
    connection.close()


def pages(now, township, inspector, admin, city_rows):
    village_ids = ",".join(str(pk) for pk in Region.objects.filter(parent=township).values_list("pk", flat=True))
    overdue_in = {"status__in": OPEN, "due_at__lt": now.isoformat()}
    as_inspector, as_admin = Client(HTTP_HOST="127.0.0.1"), Client(HTTP_HOST="127.0.0.1")
    as_inspector.force_login(inspector)
    as_admin.force_login(admin)
    print(f"\n== first page (median of {RUNS} runs, ms; {load()}) ==")
    # A page deep in the city's list: keyset costs what the first page does.
    middle = Commitment.objects.overdue(now).order_by("due_at", "pk").values_list("due_at", "pk")[city_rows // 2]
    deep = selectors.cursor_for(*middle)
    cases = [
        ("township: inspector, their scope", as_inspector, "/reports/overdue/", {}),
        ("township: report, region filter", as_admin, "/reports/overdue/", {"region": township.pk}),
        ("township: admin changelist", as_admin, "/admin/casework/commitment/", overdue_in | {"village__in": village_ids}),
        ("city: report", as_admin, "/reports/overdue/", {}),
        ("city: admin changelist", as_admin, "/admin/casework/commitment/", overdue_in),
        ("city: a page half-way down (keyset)", as_admin, "/reports/overdue/", {"after": deep}),
    ]
    results = median_ms(cases, RUNS)
    for label, ms in results.items():
        print(f"{label:40s} {ms:8.1f}")
    for scope in ("township", "city"):
        ratio = results[f"{scope}: admin changelist"] / results[f"{scope}: report{', region filter' if scope == 'township' else ''}"]
        print(f"{scope}: report is {ratio:.1f}x faster than the admin changelist")


def exports_timed(now, admin, city_rows):
    print(f"\n== exports (median of {EXPORT_RUNS} runs; {load()}) ==")
    rungs = figures.escalation_rungs()
    report = report_rows(access_for(admin))
    header = services.export_header(report)
    values = exports.export_values(report.rows, now=report.now, rungs=rungs)
    seconds, size, grown = timed_export(lambda: streamed(exports.csv_chunks(values, header)))
    print(f"CSV (COPY), city overdue: {city_rows} rows in {seconds:.2f} s = {city_rows / seconds:,.0f} rows/s, {size / 2**20:.0f} MiB, peak memory +{grown:.0f} MiB")
    seconds, size, grown = timed_export(lambda: streamed(exports.python_csv(values)))
    print(f"CSV (csv module, for comparison): {city_rows / seconds:,.0f} rows/s")

    # One million rows of the same shape: every commitment (any status) due before a cutoff.
    cutoff = Commitment.objects.order_by("due_at", "pk").values_list("due_at", flat=True)[min(1_000_000, Commitment.objects.count() - 1)]
    million = Commitment.objects.filter(due_at__lt=cutoff).order_by("due_at", "pk")
    count = million.count()
    values = exports.export_values(million, now=now, rungs=rungs)
    seconds, size, grown = timed_export(lambda: streamed(exports.csv_chunks(values, header)))
    print(f"CSV (COPY), {count} rows: {seconds:.2f} s = {count / seconds:,.0f} rows/s, {size / 2**20:.0f} MiB, peak memory +{grown:.0f} MiB")

    sync_limit = Commitment.objects.overdue(now).order_by("due_at", "pk").values_list("due_at", flat=True)[50_000]
    xlsx_rows = report.rows.filter(due_at__lt=sync_limit)
    count = xlsx_rows.count()

    def xlsx() -> int:
        # In a transaction, as the view writes it (ATOMIC_REQUESTS): its rows come through a
        # cursor that PostgreSQL plans to stream, not one that holds the whole result first.
        with tempfile.TemporaryFile() as out, transaction.atomic():
            exports.xlsx_write(out, exports.export_values(xlsx_rows, now=now, rungs=rungs), header)
            return out.tell()

    seconds, size, grown = timed_export(xlsx)
    print(f"XLSX (XlsxWriter constant memory), {count} rows: {seconds:.2f} s = {count / seconds:,.0f} rows/s, {size / 2**20:.1f} MiB, peak memory +{grown:.0f} MiB")


if __name__ == "__main__":
    main()
