"""Server time of submitting a visit on the seed_scale city.

Drives the whole request stack in-process (middleware, authentication, validation, the visit
service, the commit) through Django's test client, so the figure is server time without the
network. Each visit carries one pledged and one resolved concern. The rows it creates are
deleted at the end.

    bench/visit_submit.sh [N]
"""

import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.db import connection, connections, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.utils import timezone  # noqa: E402

from cadres.models import Pairing  # noqa: E402
from casework.models import Category, Commitment, Concern, ConcernHistory, ResidentCode  # noqa: E402
from visits.models import Visit, VisitAmendment, VisitPhoto  # noqa: E402

WARM_UP = 20


def body(household, category, i: int) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "kind": "home",
        "household": household.pk,
        "visited_at": timezone.localtime().isoformat(),
        "companions": 1,
        "thoughts": f"Benchmark visit {i}: worried about the winter and the road",
        "policies_explained": "Medical insurance renewal",
        "concerns": [
            {"category": category.pk, "urgency": "normal", "text": f"Roof leaks ({i})", "outcome": "pledged", "pledge_text": "Repair team"},
            {"category": category.pk, "urgency": "normal", "text": f"Pension form ({i})", "outcome": "resolved", "note": "Done together"},
        ],
    }


def form(household, category, cadre, i: int) -> dict:
    data = {
        "id": str(uuid.uuid4()), "cadre": cadre.pk, "kind": "home", "household": household.pk, "village": "",
        "visited_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "backdate_reason": "", "companions": "1",
        "thoughts": f"Form benchmark visit {i}: the lane floods", "wants": "", "hopes": "", "complaints": "",
        "policies_explained": "", "help_delivered": "", "latitude": "", "longitude": "", "accuracy_m": "", "held_photos": "",
        "concerns-TOTAL_FORMS": "2", "concerns-INITIAL_FORMS": "0", "concerns-MIN_NUM_FORMS": "0", "concerns-MAX_NUM_FORMS": "20",
    }
    for n, (text, outcome, extra) in enumerate(
        [(f"Roof leaks ({i})", "pledged", {"pledge_text": "Repair team"}), (f"Pension form ({i})", "resolved", {"note": "Done"})]
    ):
        fields = {"category": category.pk, "urgency": "normal", "text": text, "outcome": outcome, "pledge_text": "", "due_date": "", "note": "", "petition_case": ""}
        data |= {f"concerns-{n}-{k}": v for k, v in (fields | extra).items()}
    return data


def timed(call, n: int) -> list[float]:
    times = []
    for i in range(n + WARM_UP):
        start = time.perf_counter()
        call(i)
        if i >= WARM_UP:
            times.append((time.perf_counter() - start) * 1000)
    return times


def report(name: str, times: list[float]):
    times = sorted(times)
    p95 = times[int(len(times) * 0.95) - 1]
    print(f"{name:<34} n={len(times):<4} median {statistics.median(times):6.1f} ms   p95 {p95:6.1f} ms   mean {statistics.mean(times):6.1f} ms")


def main(n: int):
    connections["default"].settings_dict.setdefault("OPTIONS", {})["options"] = "-c synchronous_commit=on"
    pairing = Pairing.objects.current().select_related("cadre__user", "household").order_by("pk").first()
    cadre, household = pairing.cadre, pairing.household
    category = Category.objects.order_by("pk").first()
    client = Client(HTTP_HOST="localhost")
    client.force_login(cadre.user)
    print(f"{Visit.objects.count():,} visits; cadre {cadre.pk}, household {household.pk}; PostgreSQL: {connection.pg_version}")
    before = timezone.now()
    sent = []

    def api_post(i):
        sent.append(body(household, category, i))
        response = client.post("/api/v1/visits/", json.dumps(sent[-1]), content_type="application/json")
        assert response.status_code == 201, response.content

    def api_replay(i):
        response = client.post("/api/v1/visits/", json.dumps(sent[i % len(sent)]), content_type="application/json")
        assert response.status_code == 200, response.content

    def form_post(i):
        response = client.post("/visits/new/", form(household, category, cadre, i))
        assert response.status_code == 302, response.content[:500]

    try:
        report("API POST, new visit (201)", timed(api_post, n))
        report("API POST, replayed visit (200)", timed(api_replay, n))
        report("HTML form POST, new visit (302)", timed(form_post, n))
        with CaptureQueriesContext(connection) as queries:
            api_post(10_000)
        print(f"SQL statements for one new visit through the API: {len(queries)}")
    finally:
        count = remove(list(Visit.objects.filter(cadre=cadre, received_at__gte=before).values_list("pk", flat=True)))
        print(f"cleaned up {count} benchmark visits")


def remove(visit_ids: list) -> int:
    """Delete the benchmark's visits and every row they created, table by table. Not the ORM's
    cascade: it would also reach into tables of apps this benchmark never writes to."""
    tables = {model: model._meta.db_table for model in (Visit, Concern, ConcernHistory, Commitment, ResidentCode)}
    links, followed = Visit.concerns.through._meta.db_table, Visit.followed_commitments.through._meta.db_table
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"SELECT concern_id FROM {links} WHERE visit_id = ANY(%s::uuid[])", [visit_ids])
        concern_ids = [row[0] for row in cursor.fetchall()]
        cursor.execute(
            f"SELECT resident_code_id FROM {tables[Visit]} WHERE id = ANY(%s::uuid[]) AND resident_code_id IS NOT NULL"
            f" UNION SELECT r.id FROM {tables[ResidentCode]} r JOIN {tables[Commitment]} c ON c.id = r.commitment_id"
            " WHERE c.concern_id = ANY(%s)",
            [visit_ids, concern_ids],
        )
        code_ids = [row[0] for row in cursor.fetchall()]
        for table, column, ids, cast in [
            (links, "visit_id", visit_ids, "uuid[]"),
            (followed, "visit_id", visit_ids, "uuid[]"),
            (VisitAmendment._meta.db_table, "visit_id", visit_ids, "uuid[]"),
            (VisitPhoto._meta.db_table, "visit_id", visit_ids, "uuid[]"),
            (tables[Visit], "id", visit_ids, "uuid[]"),
            (tables[ResidentCode], "id", code_ids, "bigint[]"),
            (tables[Commitment], "concern_id", concern_ids, "bigint[]"),
            (tables[ConcernHistory], "concern_id", concern_ids, "bigint[]"),
            (tables[Concern], "id", concern_ids, "bigint[]"),
        ]:
            cursor.execute(f"DELETE FROM {table} WHERE {column} = ANY(%s::{cast})", [ids])
    return len(visit_ids)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 300)
