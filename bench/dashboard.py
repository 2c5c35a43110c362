"""The supervisor dashboard on the seed_scale city: the rollups' refresh, then the whole city's
and one township's dashboard, server time and SQL statements.

The refresh is ``rollups_refresh`` with its default periods (the current and previous month,
quarter and year), as Celery beat runs it; ``--no-refresh`` keeps the rollups as they are.
Pages go through the whole request stack in-process (Django's test client), so the figures are
server time without the network; the pages take turns, one request each a round, so that they
meet the same load. The viewers are a supervisor of the whole city and a supervisor of its first
township, added for the run and removed at the end. The machine's load average and Python
speed are printed with the figures.

    bench/dashboard.sh [RUNS] [--no-refresh]
"""

import os
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
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.pages import load, median_ms, python_speed  # noqa: E402
from cadres.models import Scope  # noqa: E402
from households.models import Region  # noqa: E402
from reports import rollups  # noqa: E402

ARGS = [arg for arg in sys.argv[1:] if not arg.startswith("--")]
RUNS = int(ARGS[0]) if ARGS else 15
REFRESH = "--no-refresh" not in sys.argv
PERIODS = {"quarter (the default)": {}, "month": {"period": "month"}, "year": {"period": "year"}}


def statements(client: Client, url: str, params: dict) -> int:
    with CaptureQueriesContext(connection) as queries:
        client.get(url, params)
    return len(queries)


def supervisor(username: str, region: Region):
    user, _ = get_user_model().objects.get_or_create(username=username)
    Scope.objects.get_or_create(
        user=user, kind=Scope.Kind.SUPERVISION, region=region, defaults={"start": timezone.localdate()}
    )
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    return user, client


def main():
    city = Region.objects.filter(parent__isnull=True).order_by("path").first()
    township = Region.objects.filter(level=Region.Level.TOWNSHIP).order_by("path").first()
    if REFRESH:
        print(f"== rollups refresh ({load()}) ==")
        start = time.perf_counter()
        refreshed = rollups.rollups_refresh()
        seconds = time.perf_counter() - start
        labels = ", ".join(period.label for period in refreshed.periods)
        print(f"default periods: {len(refreshed.periods)} refreshed in {seconds:.1f} s ({labels})")
        if refreshed.skipped:
            print(f"{len(refreshed.skipped)} skipped: being refreshed by another run")
    print(f"as of {rollups.rollups_as_of()}")

    users = []
    try:
        city_user, city_client = supervisor("bench-dashboard-city", city)
        town_user, town_client = supervisor("bench-dashboard-township", township)
        users = [city_user, town_user]
        cases = []
        for name, params in PERIODS.items():
            cases.append((f"city {city.name}, {name}", city_client, "/dashboard/", params))
            cases.append((f"township {township.name}, {name}", town_client, "/dashboard/", params))
        counts = {label: statements(client, url, params) for label, client, url, params in cases}
        print(f"\n== dashboard server time (median of {RUNS} runs, ms; {load()}; {python_speed()}) ==")
        for label, ms in median_ms(cases, RUNS).items():
            print(f"{label:40s} {ms:8.1f}   {counts[label]} SQL statements")
        print(f"{load()}; {python_speed()}")
    finally:
        Scope.objects.filter(user__in=users).delete()
        get_user_model().objects.filter(pk__in=[user.pk for user in users]).delete()
        connection.close()


if __name__ == "__main__":
    main()
