"""The overdue-case report on the seed_scale city: first page time against Django admin's
changelist over the same rows, CSV and XLSX export speed, and memory while exporting.

Pages go through the whole request stack in-process (Django's test client), so the figures are
server time without the network. Exports are driven directly (as the view and the background job
do) into a sink that only counts bytes, like a fast client. Two users are added for the run (an
inspector of one township and a superuser) and removed at the end.

    bench/report.sh [RUNS]
"""

import os
import resource
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from cadres.access import access_for  # noqa: E402
from cadres.models import Scope  # noqa: E402
from casework.models import Commitment  # noqa: E402
from households.models import Region  # noqa: E402
from reports import exports, figures, selectors, services  # noqa: E402

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 15
WARM_UP = 3
OPEN = ",".join(Commitment.OPEN_STATES)


def median_ms(client: Client, url: str, params: dict) -> float:
    times = []
    for i in range(WARM_UP + RUNS):
        start = time.perf_counter()
        response = client.get(url, params)
        elapsed = time.perf_counter() - start
        assert response.status_code == 200, (url, response.status_code)
        if i >= WARM_UP:
            times.append(elapsed * 1000)
    return statistics.median(times)


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed_export(label: str, chunks) -> None:
    before = max_rss_mb()
    start = time.perf_counter()
    size = sum(len(chunk) for chunk in chunks)
    return time.perf_counter() - start, size, max_rss_mb() - before


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
    village_ids = ",".join(str(pk) for pk in Region.objects.filter(parent=township).values_list("pk", flat=True))
    overdue_in = {"status__in": OPEN, "due_at__lt": now.isoformat()}
    as_inspector, as_admin = Client(HTTP_HOST="127.0.0.1"), Client(HTTP_HOST="127.0.0.1")
    as_inspector.force_login(inspector)
    as_admin.force_login(admin)
    city_rows = report_rows(access_for(admin)).rows.count()
    town_rows = report_rows(access_for(admin), region=str(township.pk)).rows.count()
    print(f"overdue rows: city {city_rows}, township {township.name} {town_rows}")

    print("\n== first page (median of", RUNS, "runs, ms) ==")
    cases = [
        ("township: inspector, their scope", as_inspector, "/reports/overdue/", {}),
        ("township: report, region filter", as_admin, "/reports/overdue/", {"region": township.pk}),
        ("township: admin changelist", as_admin, "/admin/casework/commitment/", overdue_in | {"village__in": village_ids}),
        ("city: report", as_admin, "/reports/overdue/", {}),
        ("city: admin changelist", as_admin, "/admin/casework/commitment/", overdue_in),
    ]
    results = {label: median_ms(client, url, params) for label, client, url, params in cases}
    for label, ms in results.items():
        print(f"{label:40s} {ms:8.1f}")
    for scope in ("township", "city"):
        ratio = results[f"{scope}: admin changelist"] / results[f"{scope}: report{', region filter' if scope == 'township' else ''}"]
        print(f"{scope}: report is {ratio:.1f}x faster than the admin changelist")

    # A page deep in the city's list: keyset costs what the first page does.
    middle = Commitment.objects.overdue(now).order_by("due_at", "pk").values_list("due_at", "pk")[city_rows // 2]
    deep = selectors.cursor_for(Commitment(due_at=middle[0], pk=middle[1]))
    print(f"{'city: a page half-way down (keyset)':40s} {median_ms(as_admin, '/reports/overdue/', {'after': deep}):8.1f}")

    print("\n== exports ==")
    rungs = figures.escalation_rungs()
    report = report_rows(access_for(admin))
    header = services.export_header(report)
    values = exports.export_values(report.rows, now=report.now, rungs=rungs)
    seconds, size, grown = timed_export("csv", exports.csv_chunks(values, header))
    print(f"CSV (COPY), city overdue: {city_rows} rows in {seconds:.2f} s = {city_rows / seconds:,.0f} rows/s, {size / 2**20:.0f} MiB, peak memory +{grown:.0f} MiB")
    seconds, size, grown = timed_export("csv", exports.python_csv(values))
    print(f"CSV (csv module, for comparison): {city_rows / seconds:,.0f} rows/s")

    # One million rows of the same shape: every commitment (any status) due before a cutoff.
    cutoff = Commitment.objects.order_by("due_at", "pk").values_list("due_at", flat=True)[min(1_000_000, Commitment.objects.count() - 1)]
    million = Commitment.objects.filter(due_at__lt=cutoff).annotate(level_id=figures.escalation_level(rungs)).order_by("due_at", "pk")
    count = million.count()
    seconds, size, grown = timed_export("csv", exports.csv_chunks(exports.export_values(million, now=now, rungs=rungs), header))
    print(f"CSV (COPY), {count} rows: {seconds:.2f} s = {count / seconds:,.0f} rows/s, {size / 2**20:.0f} MiB, peak memory +{grown:.0f} MiB")

    sync_limit = Commitment.objects.overdue(now).order_by("due_at", "pk").values_list("due_at", flat=True)[50_000]
    xlsx_rows = report.rows.filter(due_at__lt=sync_limit)
    count = xlsx_rows.count()
    before, start = max_rss_mb(), time.perf_counter()
    with open(os.devnull, "wb") as sink:
        exports.xlsx_write(sink, exports.export_values(xlsx_rows, now=now, rungs=rungs), header)
    seconds = time.perf_counter() - start
    print(f"XLSX (XlsxWriter constant memory), {count} rows: {seconds:.2f} s = {count / seconds:,.0f} rows/s, peak memory +{max_rss_mb() - before:.0f} MiB")
    connection.close()


if __name__ == "__main__":
    main()
