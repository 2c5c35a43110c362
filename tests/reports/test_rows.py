"""The lists behind the dashboard's numbers: each number links to exactly the rows it counts.

On the hand-computed world of tests/reports/test_figures_dashboard.py (March 2026, seen on 20
March), every linked number of the dashboard, its table by region and its tables by unit and by
cadre is compared with the rows of the page it opens: a count with the rows listed, a ratio's
denominator with the rows listed and its numerator with the rows the page marks as counted.
"""

import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from reports.rows import PAGE_SIZE
from tests import factories as f
from tests.reports.test_figures_dashboard import NOW, at, small  # noqa: F401 - ``small`` is a fixture

MARCH = {"period": "month", "on": "2026-03-20"}
Q1 = {"period": "quarter", "on": "2026-03-20"}
DASHBOARD = reverse("dashboard")
# The lists this module tests (the overdue report, households and concerns have their own tests).
LISTS = {reverse(name) for name in ("dashboard_visits",)}
LIST_MOST = 20


@pytest.fixture
def march(small):  # noqa: F811 - the fixture imported above
    """The world, seen on 20 March 2026."""
    with time_machine.travel(NOW, tick=False):
        yield small


def fraction(text: str) -> tuple[int, int] | None:
    match = re.fullmatch(r"(\d+) / (\d+)", text or "")
    return (int(match[1]), int(match[2])) if match else None


def listed(client, url: str):
    """The page of rows at ``url``, checked to list as many rows as it says it has."""
    response = client.get(url)
    assert response.status_code == 200, url
    page = response.context["page"]
    assert len(page.object_list) == min(page.paginator.count, PAGE_SIZE)
    return response


def check(client, url: str, value: str, fraction_text: str = "") -> bool:
    """Whether ``url`` is one of these lists; if so, that it holds the rows the number counts."""
    if url.split("?")[0] not in LISTS:
        return False
    response = listed(client, url)
    counted = response.context["tally"]
    ratio = fraction(fraction_text)
    if ratio:
        assert (counted.counted, counted.total) == ratio, url
        if "=yes" in url:  # a ratio's numerator opened on its own
            assert response.context["page"].paginator.count == ratio[0]
    elif "." in value:  # companions per visit, over the visits listed
        rows = response.context["page"].object_list
        assert value == f"{sum(row.companions for row in rows) / len(rows):.1f}", url
    else:
        assert response.context["page"].paginator.count == int(value), url
    return True


def linked_numbers(client, url: str, query: dict) -> list[str]:
    """Check every number of the dashboard at ``url`` (and of its unit's cadres) that opens one of
    these lists; the keys of those checked."""
    response = client.get(url, query)
    assert response.status_code == 200
    page = response.context["page"]
    checked = []
    for tile in page.tiles:
        for number in [tile, *tile.parts]:
            if number.url and check(client, number.url, number.value, number.detail):
                checked.append(f"tile:{number.key}")
    tables = [page.regions, page.units]
    for unit_row in page.units.rows:
        tables.append(client.get(unit_row[0].url).context["table"])
    for table in tables:
        for row in table.rows + ([table.footer] if table.footer else []):
            for column, cell in zip(table.columns, row, strict=True):
                if cell.url and check(client, cell.url, cell.text, cell.title):
                    checked.append(f"{table.key}:{column.key}")
    return checked


@pytest.mark.parametrize("period", [MARCH, Q1])
def test_every_number_of_a_supervisors_dashboard_opens_exactly_its_rows(client, march, period):
    client.force_login(march.supervisor)

    checked = linked_numbers(client, DASHBOARD, period)

    assert {
        "tile:visits",
        "tile:burden",
        "tile:burden_heavy",
        "regions:visits",
        "units:visits",
        "cadres:visits",
    } <= set(checked)
    assert {"units:flagged", "cadres:flagged"} <= set(checked)


def test_every_number_of_an_administrators_region_opens_exactly_its_rows(client, march):
    client.force_login(march.admin)

    checked = linked_numbers(client, reverse("dashboard_region", args=[march.county_a.pk]), MARCH)

    assert "regions:visits" in checked and "units:visits" in checked


# --- visits ------------------------------------------------------------------------------------


def visits(client, **query):
    return client.get(reverse("dashboard_visits"), MARCH | query)


def test_the_visits_are_the_in_person_ones_of_the_period_in_scope(client, march):
    client.force_login(march.supervisor)

    response = visits(client)

    # Two home visits to Wang, one to the moved-out household, a forum in V2; not the phone
    # callback, not February's, not those in T2 or county B.
    rows = list(response.context["page"])
    assert len(rows) == 4 and {visit.kind for visit in rows} == {"home", "forum"}
    assert [(row.companions, row.counted) for row in rows] == [(3, True), (5, True), (1, False), (0, False)]
    assert response.context["tally"].counted == 2
    html = response.content.decode()
    assert 'data-testid="count-yes">2<' in html and reverse("visit_detail", args=[rows[0].pk]) in html
    heavy = visits(client, heavy="yes")
    assert [row.companions for row in heavy.context["page"]] == [3, 5]
    assert [row.companions for row in visits(client, heavy="no").context["page"]] == [1, 0]


def test_flagged_visits_are_of_any_kind_as_the_cadre_table_counts_them(client, march):
    client.force_login(march.supervisor)

    response = visits(client, flagged="on", cadre=march.cadre.pk)

    assert [row.kind for row in response.context["page"]] == ["phone"]
    assert "Visits with an integrity flag" in response.content.decode()


def test_a_units_visits_are_those_of_its_chosen_cadres_in_the_region(client, march):
    f.VisitFactory(cadre=march.idle, household=march.household_v3, visited_at=at(3, 9))  # T2: outside the region
    client.force_login(march.admin)

    in_t1 = visits(client, region=march.t1.pk, unit=march.unit_a.pk)
    everywhere = visits(client, unit=march.unit_a.pk)

    assert in_t1.context["page"].paginator.count == 4
    assert everywhere.context["page"].paginator.count == 5  # and Zhang's visit to Sun in T2
    assert visits(client, region=march.t1.pk, unit=march.idle.unit_id).context["page"].paginator.count == 0


# --- bad input, scope, queries -----------------------------------------------------------------


@pytest.mark.parametrize("name", ["dashboard_visits"])
def test_a_region_outside_the_scope_or_unknown_is_not_found(client, march, name):
    client.force_login(march.supervisor)

    for region in (march.county_a.pk, march.t2.pk, march.vb.pk, 999_999):
        assert client.get(reverse(name), {"region": region}).status_code == 404
    assert client.get(reverse(name), {"region": march.v1.pk}).status_code == 200


@pytest.mark.parametrize("name", ["dashboard_visits"])
@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        (
            {"period": "custom", "start": "2026-03-10", "end": "2026-03-01"},
            "end",
            "The end of the period is before its start.",
        ),
        ({"region": "abc"}, "region", "Choose a region within your scope."),
        ({"unit": 999_999}, "unit", "That unit does not exist."),
        ({"cadre": "outsider"}, "cadre", "Choose a cadre within your scope."),
    ],
)
def test_a_bad_filter_is_refused_next_to_its_field_with_no_rows(client, march, name, query, field, message):
    client.force_login(march.supervisor)
    if query.get("cadre") == "outsider":
        query = {"cadre": march.outsider.pk}

    response = client.get(reverse(name), query)

    assert response.status_code == 400
    assert message in response.context["form"].errors[field]
    assert message in response.content.decode()
    assert "page" not in response.context


def test_a_bad_part_is_refused(client, march):
    client.force_login(march.supervisor)

    response = visits(client, heavy="maybe")

    assert response.status_code == 400
    assert "Choose more than two companions, two or fewer, or any." in response.content.decode()


def test_a_cadre_without_a_scope_is_told_the_lists_are_not_for_them(client, march):
    client.force_login(march.cadre_user)

    response = visits(client)

    assert response.status_code == 403
    assert "The dashboard is for supervisors, discipline inspectors and administrators." in response.content.decode()


@pytest.mark.parametrize(("name", "query"), [("dashboard_visits", {}), ("dashboard_visits", {"flagged": "on"})])
def test_the_lists_take_a_fixed_number_of_queries(client, march, django_assert_num_queries, name, query):
    client.force_login(march.supervisor)
    client.get(DASHBOARD)
    query = MARCH | {"unit": march.unit_a.pk} | query
    with CaptureQueriesContext(connection) as queries:
        before = client.get(reverse(name), query).context["page"].paginator.count
    assert len(queries) <= LIST_MOST

    for i in range(3):
        household = f.HouseholdFactory(village=march.v2, head_name=f"More {i}")
        f.PairingFactory(cadre=march.cadre, household=household)
        f.VisitFactory(cadre=march.cadre, household=household, visited_at=at(3, 11), companions=4, flag_far=True)

    with django_assert_num_queries(len(queries)):
        response = client.get(reverse(name), query)
    assert response.context["page"].paginator.count == before + 3
