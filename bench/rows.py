"""The lists behind the dashboard's numbers on the seed_scale city: server time of each list's
first page for the whole city and for its first township, by quarter, with its SQL statements
(and those of one of the township's units); and the lists of every unit and every cadre.

Read only: the viewer is a supervisor of the whole city made up for the run (an ``Access``, no
account or scope is written), and each view is called directly with a request of its own (no
session). The lists take turns, one request each a round, so that they meet the same load; the
machine's load average is printed with the figures.

    bench/rows.sh [RUNS]
"""

import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.messages.storage.fallback import FallbackStorage  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import RequestFactory  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from bench.pages import WARM_UP, load  # noqa: E402
from cadres.models import Unit  # noqa: E402
from households.access import Access  # noqa: E402
from households.models import Region  # noqa: E402
from reports import dashboard_views, rows_views  # noqa: E402

RUNS = int(sys.argv[1]) if len(sys.argv) > 1 else 5
LISTS = {
    "visits": (rows_views.dashboard_visits, {}),
    "visits, more than two companions": (rows_views.dashboard_visits, {"heavy": "yes"}),
    "pledges due": (rows_views.dashboard_pledges, {}),
    "reports of done": (rows_views.dashboard_pledge_changes, {"to": "reported"}),
    "ratings": (rows_views.dashboard_ratings, {}),
    "codes offered": (rows_views.dashboard_confirmations, {}),
    "villages": (rows_views.dashboard_villages, {}),
    "cadres of the units": (rows_views.dashboard_cadre_assignments, {}),
    "all units' cadres' visits by month": (rows_views.dashboard_cadre_months, {"listed": "on"}),
    "all units' paired households": (rows_views.dashboard_pairings, {"listed": "on"}),
    "petition cases": (rows_views.dashboard_petitions, {}),
    "every unit": (dashboard_views.dashboard_units, {}),
    "every cadre": (dashboard_views.dashboard_cadres, {}),
}
UNIT_LISTS = {
    "a unit's visits": (rows_views.dashboard_visits, {}),
    "a unit's flagged visits": (rows_views.dashboard_visits, {"flagged": "on"}),
    "a unit's paired households": (rows_views.dashboard_pairings, {}),
    "a unit's cadres' visits by month": (rows_views.dashboard_cadre_months, {}),
}


def main():
    city = Region.objects.filter(parent__isnull=True).order_by("path").first()
    township = Region.objects.filter(level=Region.Level.TOWNSHIP).order_by("path").first()
    unit = Unit.objects.filter(region__path__startswith=township.path).order_by("pk").first()
    user = get_user_model().objects.order_by("pk").first()
    access = Access(user_id=user.pk, supervision=((city.path, None),))
    factory = RequestFactory()

    def request(params):
        made = factory.get("/", params)
        made.user, made.access, made.session = user, access, {}
        made._messages = FallbackStorage(made)
        return made

    cases = [
        (f"{where}: {label}", view, {"region": region.pk, "period": "quarter"} | params)
        for where, region in (("city", city), ("township", township))
        for label, (view, params) in LISTS.items()
    ] + [
        (f"township: {label}", view, {"region": township.pk, "period": "quarter", "unit": unit.pk} | params)
        for label, (view, params) in UNIT_LISTS.items()
    ]
    times = {label: [] for label, *_ in cases}
    statements = {}
    for i in range(WARM_UP + RUNS):
        for label, view, params in cases:
            with CaptureQueriesContext(connection) as queries:
                start = time.perf_counter()
                response = view(request(params))
                elapsed = time.perf_counter() - start
            assert response.status_code == 200, (label, response.status_code)
            statements[label] = len(queries)
            if i >= WARM_UP:
                times[label].append(elapsed * 1000)
    print(f"== the lists behind the dashboard's numbers, median of {RUNS} ({load()}) ==")
    for label, values in times.items():
        print(f"{label:45s} {statistics.median(values):8.1f} ms  {statements[label]:2d} statements")


if __name__ == "__main__":
    main()
